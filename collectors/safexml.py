"""Hardened XML parsing for everything a source sends us (BigBlueButton answers, edXML packets).

No DTDs, no entity declarations (so no "billion laughs" expansion and no external entities), no
network access, and a size limit checked before parsing. Every failure is :class:`XmlError` with
a short reason; callers turn it into a reject or a transient source error.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_XML_BYTES = 16 * 1024 * 1024


class XmlError(ValueError):
    pass


def parse_xml(data: bytes | str, max_bytes: int = MAX_XML_BYTES) -> Element:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > max_bytes:
        raise XmlError(f"XML larger than {max_bytes // 1024} KiB")
    if not data.strip():
        raise XmlError("empty XML document")
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise XmlError(f"forbidden XML construct ({type(exc).__name__})") from None
    except ParseError as exc:
        raise XmlError(f"not well-formed XML ({exc})") from None
    except LookupError as exc:
        raise XmlError(f"unknown encoding declared ({exc})") from None
    except (ValueError, RecursionError) as exc:
        raise XmlError(f"unreadable XML ({type(exc).__name__})") from None


def local(tag: str) -> str:
    """``{namespace}Name`` → ``Name``."""
    return tag.rsplit("}", 1)[-1]


def child_text(element: Element | None, name: str) -> str | None:
    """Text of the first direct child whose local name is ``name`` (namespaces ignored)."""
    if element is None:
        return None
    for child in element:
        if local(child.tag) == name:
            return (child.text or "").strip()
    return None


def find_local(element: Element | None, name: str) -> Element | None:
    """First descendant (or self) whose local name is ``name``."""
    if element is None:
        return None
    for node in element.iter():
        if local(node.tag) == name:
            return node
    return None
