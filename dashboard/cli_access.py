"""``ioc users …``, ``ioc screens …`` and ``ioc audit …``: accounts, wall screens and the audit.

    ioc users add NAME --grant ROLE:UNIT [--grant …] [--display-name …] [--password-stdin | --sso]
    ioc users list
    ioc users disable NAME | enable NAME
    ioc users reset-password NAME [--password-stdin]
    ioc users grant NAME ROLE:UNIT [--revoke]
    ioc users secret NAME --allow | --deny        documents marked secret
    ioc screens add NAME --playlist P --scope UNIT   prints a one-time enrolment URL
    ioc screens list | revoke NAME | reload NAME | code NAME
    ioc audit list [--since DATE] [--user NAME] [--kind KIND] [--limit N]
    ioc audit prune                                  remove events past IOC_AUDIT_RETENTION_DAYS

Passwords are never taken as arguments (they would stay in the shell history and the process
list): they are read from standard input with ``--password-stdin``, asked for twice on a
terminal, or generated and printed once.
"""

from __future__ import annotations

import json
import secrets
import sys
from datetime import datetime

import click

from dashboard import accounts, audit, screens
from dashboard import cli as _cli
from dashboard.cli import _Context
from dashboard.cli_kpis import _sessions
from dashboard.db import session_scope

pass_ctx = click.pass_obj
CLI_ACTOR = "cli"


def _password(from_stdin: bool, generate_ok: bool = True) -> tuple[str, bool]:
    """(password, generated)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    if sys.stdin.isatty():
        return click.prompt("password", hide_input=True, confirmation_prompt=True), False
    if not generate_ok:
        raise click.UsageError("give the password on standard input with --password-stdin")
    return secrets.token_urlsafe(12), True


# --- users ---------------------------------------------------------------------------------------------
@click.group("users")
def users_group() -> None:
    """Local accounts and their grants (role over a unit subtree)."""


@users_group.command("add")
@click.argument("name")
@click.option(
    "--grant",
    "grants",
    multiple=True,
    metavar="ROLE:UNIT",
    help="Role over a unit subtree: lanh_dao, truong_don_vi, theo_doi or quan_tri (repeatable).",
)
@click.option("--display-name", default="", help="The name shown in the header.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--sso", is_flag=True, help="No local password: the account signs in through single sign-on.")
@click.option("--secret", "may_see_secret", is_flag=True, help="May see documents marked secret.")
@pass_ctx
def users_add(
    obj: _Context, name: str, grants, display_name: str, password_stdin: bool, sso: bool, may_see_secret: bool
) -> None:
    """Add an account NAME."""
    parsed = [accounts.parse_grant(g) for g in grants]
    password, generated = (None, False) if sso else _password(password_stdin)
    with session_scope(_sessions(obj)) as session:
        account = accounts.add_account(
            session,
            name,
            password=password,
            display_name=display_name,
            grants=parsed,
            may_see_secret=may_see_secret,
        )
        audit.record(
            session,
            "account_added",
            actor=CLI_ACTOR,
            target=account.username,
            grants=[f"{r}:{u}" for r, u in parsed],
            sso=sso,
            secret=may_see_secret,
        )
    click.echo(f"account {account.username} added with {len(parsed)} grant(s)")
    if generated:
        click.echo(f"password (shown once): {password}")


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def users_list(obj: _Context, as_json: bool) -> None:
    """List the accounts with their grants."""
    with _sessions(obj)() as session:
        rows = accounts.list_accounts(session)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "username": a.username,
                        "display_name": a.display_name,
                        "active": a.active,
                        "local_password": a.local_password,
                        "secret": a.may_see_secret,
                        "grants": [f"{r}:{u}" for r, u in a.grants],
                    }
                    for a in rows
                ],
                ensure_ascii=False,
            )
        )
        return
    for a in rows:
        state = "" if a.active else " [disabled]"
        how = "password" if a.local_password else "sso"
        click.echo(
            f"{a.username}{state} ({how}{', secret' if a.may_see_secret else ''}): "
            + (", ".join(f"{r}:{u}" for r, u in a.grants) or "no grant")
        )


def _set_active(obj: _Context, name: str, active: bool) -> None:
    with session_scope(_sessions(obj)) as session:
        account = accounts.set_active(session, name, active)
        audit.record(session, "account_changed", actor=CLI_ACTOR, target=account.username, active=active)
    click.echo(f"account {account.username} {'enabled' if active else 'disabled (signed out everywhere)'}")


@users_group.command("disable")
@click.argument("name")
@pass_ctx
def users_disable(obj: _Context, name: str) -> None:
    """Disable NAME and end its sessions."""
    _set_active(obj, name, False)


@users_group.command("enable")
@click.argument("name")
@pass_ctx
def users_enable(obj: _Context, name: str) -> None:
    """Enable NAME again."""
    _set_active(obj, name, True)


@users_group.command("reset-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@pass_ctx
def users_reset_password(obj: _Context, name: str, password_stdin: bool) -> None:
    """Set a new password for NAME (its sessions end)."""
    password, generated = _password(password_stdin)
    with session_scope(_sessions(obj)) as session:
        account = accounts.reset_password(session, name, password)
        audit.record(
            session, "account_changed", actor=CLI_ACTOR, target=account.username, password_reset=True
        )
    click.echo(f"password of {account.username} changed; its sessions ended")
    if generated:
        click.echo(f"password (shown once): {password}")


@users_group.command("grant")
@click.argument("name")
@click.argument("grant")
@click.option("--revoke", is_flag=True, help="Remove the grant instead of adding it.")
@pass_ctx
def users_grant(obj: _Context, name: str, grant: str, revoke: bool) -> None:
    """Add (or --revoke) a ROLE:UNIT grant of NAME."""
    role, unit = accounts.parse_grant(grant)
    with session_scope(_sessions(obj)) as session:
        account = accounts.grant(session, name, role, unit, revoke=revoke)
        audit.record(
            session,
            "grant_changed",
            actor=CLI_ACTOR,
            target=account.username,
            grant=f"{role}:{unit}",
            revoked=revoke,
        )
    click.echo(f"{account.username}: {'removed' if revoke else 'granted'} {role}:{unit}")


@users_group.command("secret")
@click.argument("name")
@click.option(
    "--allow/--deny", default=None, required=True, help="Whether NAME may see documents marked secret."
)
@pass_ctx
def users_secret(obj: _Context, name: str, allow: bool) -> None:
    """Allow or deny NAME the documents marked secret."""
    with session_scope(_sessions(obj)) as session:
        account = accounts.set_secret_permission(session, name, allow)
        audit.record(session, "grant_changed", actor=CLI_ACTOR, target=account.username, secret=allow)
    click.echo(f"{account.username}: documents marked secret {'allowed' if allow else 'denied'}")


# --- screens -------------------------------------------------------------------------------------------
@click.group("screens")
def screens_group() -> None:
    """Wall screens enrolled as devices (read-only, one playlist, one scope)."""


def _base_url(obj: _Context) -> str:
    s = obj.settings
    host = "127.0.0.1" if s.host in {"0.0.0.0", "::"} else s.host
    return f"http://{host}:{s.port}"


def _check_playlist(obj: _Context, name: str) -> None:
    from dashboard.playlists import load_playlists, playlists_file

    known = load_playlists(playlists_file(obj.settings))
    if name not in known:
        raise screens.ScreenError(f"no playlist {name!r}; the playlists are: {', '.join(sorted(known))}")


@screens_group.command("add")
@click.argument("name")
@click.option("--playlist", required=True, help="The playlist it shows (playlists.toml).")
@click.option("--scope", "unit", required=True, metavar="UNIT", help="The unit subtree it may show.")
@click.option("--base-url", default=None, help="The dashboard's address as the screen reaches it.")
@pass_ctx
def screens_add(obj: _Context, name: str, playlist: str, unit: str, base_url: str | None) -> None:
    """Register a screen and print its one-time enrolment URL."""
    _check_playlist(obj, playlist)
    with session_scope(_sessions(obj)) as session:
        screen, code = screens.add(session, name, playlist, unit, obj.settings.screen_enrol_hours)
        audit.record(
            session, "screen_added", actor=CLI_ACTOR, target=screen.name, unit_code=unit, playlist=playlist
        )
    click.echo(
        f"screen {name!r}: open this address once on the screen (valid {obj.settings.screen_enrol_hours} h, "
        "one use):"
    )
    click.echo(f"{(base_url or _base_url(obj)).rstrip('/')}/screens/enrol/{code}")


@screens_group.command("code")
@click.argument("name")
@click.option("--base-url", default=None, help="The dashboard's address as the screen reaches it.")
@pass_ctx
def screens_code(obj: _Context, name: str, base_url: str | None) -> None:
    """A new one-time enrolment URL for NAME (its current credential stops working)."""
    with session_scope(_sessions(obj)) as session:
        screen, code = screens.new_code(session, name, obj.settings.screen_enrol_hours)
        audit.record(session, "screen_added", actor=CLI_ACTOR, target=screen.name, new_code=True)
    click.echo(f"{(base_url or _base_url(obj)).rstrip('/')}/screens/enrol/{code}")


@screens_group.command("list")
@pass_ctx
def screens_list(obj: _Context) -> None:
    """The screens with their state and last heartbeat."""
    with _sessions(obj)() as session:
        rows = screens.fleet(session)
    for s in rows:
        seen = s.last_seen_at.isoformat(timespec="seconds") if s.last_seen_at else "never"
        click.echo(
            f"{s.name}: {s.state}, playlist {s.playlist}, scope {s.unit_code}, last seen {seen}"
            + (f", slide {s.last_slide}" if s.last_slide else "")
        )


def _act_on_screen(obj: _Context, name: str, act, kind: str, done: str) -> None:
    """One audited change to a screen, by name."""
    with session_scope(_sessions(obj)) as session:
        screen = act(session, name)
        audit.record(session, kind, actor=CLI_ACTOR, target=screen.name)
    click.echo(f"screen {name!r} {done}")


@screens_group.command("revoke")
@click.argument("name")
@pass_ctx
def screens_revoke(obj: _Context, name: str) -> None:
    """Revoke NAME: at its next refresh it shows "màn hình đã bị thu hồi" and no data."""
    _act_on_screen(obj, name, screens.revoke, "screen_revoked", "revoked")


@screens_group.command("reload")
@click.argument("name")
@pass_ctx
def screens_reload(obj: _Context, name: str) -> None:
    """Ask NAME to reload itself at its next refresh."""
    _act_on_screen(obj, name, screens.request_reload, "screen_reload", "will reload at its next refresh")


# --- audit ---------------------------------------------------------------------------------------------
@click.group("audit")
def audit_group() -> None:
    """The audit trail (append-only)."""


@audit_group.command("list")
@click.option(
    "--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%d/%m/%Y"]), default=None
)
@click.option("--user", default=None, help="Only events of this account or screen name.")
@click.option("--kind", type=click.Choice(sorted(audit.KINDS)), default=None)
@click.option("--limit", type=click.IntRange(1, 100000), default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_ctx
def audit_list(
    obj: _Context, since: datetime | None, user: str | None, kind: str | None, limit: int, as_json: bool
) -> None:
    """The newest events first."""
    tz = obj.settings.tz
    with _sessions(obj)() as session:
        events = audit.list_events(
            session, since=since.replace(tzinfo=tz) if since else None, actor=user, kind=kind, limit=limit
        )
    for e in events:
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "at": e.at.isoformat(),
                        "kind": e.kind,
                        "actor": e.actor,
                        "address": e.address,
                        "unit": e.unit_code,
                        "outcome": e.outcome,
                        "detail": e.detail,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            detail = " ".join(f"{k}={v}" for k, v in (e.detail or {}).items())
            click.echo(
                f"{e.at.astimezone(tz).isoformat(timespec='seconds')} {e.kind} {e.outcome} "
                f"{e.actor or '-'} {e.address or '-'} {e.unit_code or '-'} {detail}".rstrip()
            )


@audit_group.command("prune")
@pass_ctx
def audit_prune(obj: _Context) -> None:
    """Remove events older than IOC_AUDIT_RETENTION_DAYS."""
    with session_scope(_sessions(obj)) as session:
        removed = audit.prune(session, obj.settings.audit_retention_days)
    click.echo(f"{removed} audit event(s) older than {obj.settings.audit_retention_days} days removed")


def _register(group: click.Group) -> None:
    from dashboard.cli_alerts import users_email

    users_group.add_command(users_email)  # ioc users email NAME ADDRESS
    for command in (users_group, screens_group, audit_group):
        group.add_command(command)


# Like dashboard.cli_kpis: also under ``python -m dashboard.cli`` (the root group in ``__main__``).
_register(_cli.cli)
_main = sys.modules.get("__main__")
if _main is not None and getattr(getattr(_main, "__spec__", None), "name", None) == "dashboard.cli":
    _register(_main.cli)
