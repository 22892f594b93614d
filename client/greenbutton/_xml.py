"""What import and export share: the error, the namespaces, safe parsing, the feed writer.

Parsing goes through ``defusedxml`` with DTDs, entities and external references all
forbidden, so a hostile document (billion laughs, external entities) is a
:class:`GreenButtonError` before any of it is expanded. The writer (:class:`FeedWriter`)
gives every Atom ``link`` a ``type``: ESPI 3.3's Atom schema requires it.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from defusedxml import (  # type: ignore[import-untyped]
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from defusedxml import ElementTree as SafeElementTree

from gridspec.readings import format_instant

ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
ESPI_NAMESPACE = "http://naesb.org/espi"
DEFAULT_BASE_URL = "/espi/1_1/resource"

WH = 72
FORWARD = 1
REVERSE = 19
DIRECTIONS = {FORWARD: "import", REVERSE: "export"}
DELTA_DATA = 4
ELECTRICITY_SERVICE = 0
ELECTRICITY_METERED = 1
LAST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z
DAY_SECONDS = 86_400

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: ESPI integers are at most Int64; more digits than that is refused before int()
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")
_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:gridledger:greenbutton")


class GreenButtonError(ValueError):
    """A feed that cannot be imported, or readings or an invoice that cannot be exported."""


def parse_feed(xml: bytes) -> ET.Element:
    """The root ``feed`` of *xml*, parsed with every DTD and entity refused."""
    if not isinstance(xml, bytes | bytearray):
        raise TypeError(f"xml must be bytes, got {type(xml).__name__}")
    try:
        root: ET.Element = SafeElementTree.fromstring(
            bytes(xml), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DTDForbidden as exc:
        raise GreenButtonError(
            f"feed has a DTD (<!DOCTYPE {exc.name}>): DTDs and entities are refused"
        ) from exc
    except (EntitiesForbidden, ExternalReferenceForbidden) as exc:
        raise GreenButtonError(
            f"feed declares entity {exc.name}: DTDs and entities are refused"
        ) from exc
    except ET.ParseError as exc:
        raise GreenButtonError(f"feed is not well-formed XML: {exc}") from exc
    if root.tag != atom("feed"):
        raise GreenButtonError(f"root element is {show(root.tag)}, not an Atom feed")
    return root


def integer(
    parent: ET.Element, path: Sequence[str], what: str, *, required: bool = True
) -> int | None:
    """The integer at ESPI *path* under *parent*; *what* names it in an error."""
    element = parent.find("/".join(espi(name) for name in path))
    if element is None:
        if required:
            raise GreenButtonError(f"{what} is missing")
        return None
    text = (element.text or "").strip()
    if not _INTEGER.fullmatch(text):
        raise GreenButtonError(f"{what} '{text[:40]}' is not an integer of at most 19 digits")
    return int(text)


def check_id(name: str, value: Any) -> None:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise GreenButtonError(
            f"{name} {value!r} is invalid: use 1-64 letters, digits, '.', '_' or '-'"
        )


def check_text(name: str, value: Any, *, limit: int | None = None) -> None:
    if not isinstance(value, str):
        raise GreenButtonError(f"{name} must be a string, got {type(value).__name__}")
    bad = _NOT_XML_CHAR.search(value)
    if bad:
        raise GreenButtonError(f"{name} has a character XML cannot carry: {bad.group()!r}")
    if limit is not None and len(value) > limit:
        raise GreenButtonError(f"{name} is {len(value)} characters, ESPI allows {limit}")


def parse_instant(text: Any, what: str) -> datetime:
    if isinstance(text, str) and _INSTANT.fullmatch(text):
        try:
            return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            pass
    raise GreenButtonError(f"{what} {text!r} is not a UTC time like 2026-03-01T09:15:00Z")


def stamp_of(updated: str | None, default: datetime) -> str:
    """The feed's ``updated``: *updated* when given (checked), else *default*."""
    if updated is None:
        return instant_text(epoch(default))
    parse_instant(updated, "updated")
    return updated


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def instant_text(seconds: int) -> str:
    return format_instant(datetime.fromtimestamp(seconds, UTC))


def atom(name: str) -> str:
    return f"{{{ATOM_NAMESPACE}}}{name}"


def espi(name: str) -> str:
    return f"{{{ESPI_NAMESPACE}}}{name}"


def split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def show(tag: str) -> str:
    namespace, local = split(tag)
    return f"<{local}> (namespace {namespace})" if namespace else f"<{local}> (no namespace)"


# -- writing ---------------------------------------------------------------------------


def segment(text: str) -> str:
    return quote(text, safe="")


@dataclass(frozen=True)
class Paths:
    """ESPI resource paths of one usage point, relative to the base URL."""

    household: str
    usage_point_id: str

    @property
    def usage_points(self) -> str:
        return f"RetailCustomer/{segment(self.household)}/UsagePoint"

    @property
    def usage_point(self) -> str:
        return f"{self.usage_points}/{segment(self.usage_point_id)}"

    @property
    def batch(self) -> str:
        return f"Batch/{self.usage_point}"


_RESOURCE_KINDS = frozenset(
    (
        "IntervalBlock",
        "LocalTimeParameters",
        "MeterReading",
        "ReadingType",
        "UsagePoint",
        "UsageSummary",
    )
)


def link_type(path: str) -> str:
    """``espi-feed/X`` for a collection path ``.../X``, ``espi-entry/X`` for ``.../X/id``."""
    parts = path.split("/")
    if parts[-1] in _RESOURCE_KINDS:
        return f"espi-feed/{parts[-1]}"
    return f"espi-entry/{parts[-2]}"


class FeedWriter:
    """Builds an Atom feed: ids from paths (UUID-5), links under the base URL, one timestamp.

    Deterministic: no clock and no randomness, so the same resource keeps its id
    across exports.
    """

    def __init__(self, base_url: str, stamp: str) -> None:
        check_text("base_url", base_url)
        self._base = base_url.rstrip("/")
        self._stamp = stamp

    def start(self, key: str, self_path: str, title: str) -> ET.Element:
        root = ET.Element("feed", {"xmlns": ATOM_NAMESPACE})
        leaf(root, "id", _urn(f"feed:{key}"))
        leaf(root, "title", title)
        leaf(root, "updated", self._stamp)
        self._link(root, "self", self_path, "espi-feed/UsagePoint")
        return root

    def entry(
        self,
        root: ET.Element,
        path: str,
        title: str,
        *,
        up: str,
        related: Sequence[str],
        resource: str,
        summary: str | None = None,
    ) -> ET.Element:
        """Append an entry for the resource at *path*; return its (empty) ESPI element."""
        entry = ET.SubElement(root, "entry")
        leaf(entry, "id", _urn(path))
        self._link(entry, "self", path, f"espi-entry/{resource}")
        self._link(entry, "up", up, f"espi-feed/{resource}")
        for target in related:
            self._link(entry, "related", target, link_type(target))
        leaf(entry, "title", title)
        if summary is not None:
            leaf(entry, "summary", summary)
        content = ET.SubElement(entry, "content")
        element = ET.SubElement(content, resource, {"xmlns": ESPI_NAMESPACE})
        leaf(entry, "published", self._stamp)
        leaf(entry, "updated", self._stamp)
        return element

    def _link(self, parent: ET.Element, rel: str, path: str, kind: str) -> None:
        ET.SubElement(parent, "link", {"rel": rel, "href": f"{self._base}/{path}", "type": kind})


def usage_point(
    writer: FeedWriter, root: ET.Element, paths: Paths, title: str, *, related: Sequence[str]
) -> None:
    """The UsagePoint entry: an electricity service (ServiceCategory kind 0)."""
    element = writer.entry(
        root,
        paths.usage_point,
        title,
        up=paths.usage_points,
        related=related,
        resource="UsagePoint",
    )
    category = ET.SubElement(element, "ServiceCategory")
    leaf(category, "kind", ELECTRICITY_SERVICE)


def local_time_parameters(
    writer: FeedWriter,
    root: ET.Element,
    path: str,
    title: str,
    related: str,
    local_time: dict[str, Any],
) -> None:
    element = writer.entry(
        root,
        path,
        title,
        up="LocalTimeParameters",
        related=[related],
        resource="LocalTimeParameters",
    )
    leaf(element, "dstEndRule", local_time["dst_end_rule"])
    leaf(element, "dstOffset", local_time["dst_offset"])
    leaf(element, "dstStartRule", local_time["dst_start_rule"])
    leaf(element, "tzOffset", local_time["tz_offset"])


def interval(parent: ET.Element, tag: str, duration: int, start: int) -> None:
    element = ET.SubElement(parent, tag)
    leaf(element, "duration", duration)
    leaf(element, "start", start)


def measurement(parent: ET.Element, tag: str, wh: int) -> None:
    element = ET.SubElement(parent, tag)
    leaf(element, "powerOfTenMultiplier", 0)
    leaf(element, "uom", WH)
    leaf(element, "value", wh)


def leaf(parent: ET.Element, tag: str, value: str | int) -> None:
    ET.SubElement(parent, tag).text = str(value)


def serialize(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    text: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return text + b"\n"


def _urn(path: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, path)}"
