"""Typed errors whose message is meant for the person running the product.

Every error raised on purpose by the product derives from :class:`IocError`; the CLI prints
``str(error)`` on one line and exits non-zero, never a traceback.
"""


class IocError(Exception):
    """Base class: the message says what is wrong and what to do about it."""

    exit_code = 1


class SettingsError(IocError):
    """A configuration value is missing or invalid."""

    exit_code = 2


class SchemaOutdatedError(IocError):
    """The database schema is not at the revision this code expects."""

    exit_code = 3


class DatabaseUnavailableError(IocError):
    """The database cannot be reached or opened."""

    exit_code = 4


class UnitImportError(IocError):
    """A unit hierarchy file cannot be imported; ``problems`` lists every problem found."""

    exit_code = 5

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"{source}: {problems[0]}{more}; nothing was imported")
