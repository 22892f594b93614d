"""A feed's ESPI resources with their entries' links, and which meter each UsagePoint is.

A head-end names its meters; a utility's feed names its UsagePoints (by the ``self``
link's last segment, the whole link, or the entry's title). :func:`assign_meters`
ties the two together and refuses any UsagePoint left over and any name that matches
none, so no UsagePoint's readings are dropped or given to the wrong meter.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ._xml import (
    ELECTRICITY_SERVICE,
    ESPI_NAMESPACE,
    GreenButtonError,
    atom,
    check_id,
    integer,
    show,
    split,
)

__all__ = ["Resource", "assign_meters", "meter_mapping", "resources"]

_KINDS = ("UsagePoint", "MeterReading", "ReadingType", "IntervalBlock", "LocalTimeParameters")


def meter_mapping(values: Sequence[str]) -> str | dict[str, str]:
    """*meters* for :func:`import_readings` from ``METER_ID`` or ``USAGE_POINT=METER_ID``
    texts (the CLI's ``--meter``, the API's ``meter`` query)."""
    if len(values) == 1 and "=" not in values[0]:
        return values[0]
    mapping: dict[str, str] = {}
    for value in values:
        usage_point, equals, meter_id = value.partition("=")
        if not equals or not usage_point or usage_point in mapping:
            raise GreenButtonError(
                f"meter {value!r}: give one meter id, or USAGE_POINT=METER_ID once per UsagePoint"
            )
        mapping[usage_point] = meter_id
    return mapping


@dataclass(frozen=True)
class Resource:
    """An ESPI resource and the links and title of the Atom entry that carries it."""

    kind: str
    number: int
    element: ET.Element
    title: str
    self_href: str | None
    up_href: str | None
    related: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.kind} {self.number}"

    @property
    def href(self) -> str:
        if self.self_href is None:
            raise GreenButtonError(f"{self.name}: its entry has no self link")
        return self.self_href

    @property
    def label(self) -> str:
        ident = self.href.rsplit("/", 1)[-1]
        return f"{ident} ({self.title})" if self.title else ident


def resources(feed: ET.Element) -> dict[str, list[Resource]]:
    found: dict[str, list[Resource]] = {kind: [] for kind in _KINDS}
    for position, entry in enumerate(feed.findall(atom("entry")), 1):
        content = entry.find(atom("content"))
        if content is None:
            continue
        for element in content:
            namespace, kind = split(element.tag)
            if kind not in found:
                continue
            if namespace != ESPI_NAMESPACE:
                raise GreenButtonError(
                    f"entry {position}: {show(element.tag)} is not in the ESPI namespace "
                    f"{ESPI_NAMESPACE}"
                )
            links: dict[str, list[str]] = {}
            for link in entry.findall(atom("link")):
                href = (link.get("href") or "").strip().rstrip("/")
                if href:
                    links.setdefault(link.get("rel", "alternate"), []).append(href)
            title = " ".join((entry.findtext(atom("title")) or "").split())
            found[kind].append(
                Resource(
                    kind,
                    len(found[kind]) + 1,
                    element,
                    title,
                    links.get("self", [None])[0],
                    links.get("up", [None])[0],
                    tuple(links.get("related", ())),
                )
            )
    return found


def assign_meters(
    usage_points: Sequence[Resource], meters: str | Mapping[str, str]
) -> dict[str, str]:
    """UsagePoint self href -> meter id; every UsagePoint mapped, every key used."""
    if not usage_points:
        raise GreenButtonError("feed has no UsagePoint")
    for up in usage_points:
        kind = integer(up.element, ("ServiceCategory", "kind"), f"{up.name}: ServiceCategory kind")
        if kind != ELECTRICITY_SERVICE:
            raise GreenButtonError(f"{up.name}: ServiceCategory kind {kind} is not electricity (0)")
    firsts: dict[str, Resource] = {}
    for up in usage_points:
        first = firsts.setdefault(up.href, up)
        if first is not up:
            raise GreenButtonError(f"{up.name}: its self link is {first.name}'s")
    listed = ", ".join(up.label for up in usage_points)
    if isinstance(meters, str):
        check_id("meter id", meters)
        if len(usage_points) > 1:
            raise GreenButtonError(
                f"feed has {len(usage_points)} UsagePoints ({listed}): map each to a meter "
                "(usage point=meter id)"
            )
        return {usage_points[0].href: meters}
    assigned: dict[str, str] = {}
    unknown = []
    for key, meter_id in meters.items():
        check_id(f"meter id for {key!r}", meter_id)
        named = [
            up for up in usage_points if key in (up.href, up.href.rsplit("/", 1)[-1], up.title)
        ]
        if not named:
            unknown.append(repr(key))
        elif len(named) > 1:
            raise GreenButtonError(
                f"{key!r} names {len(named)} UsagePoints ({', '.join(u.label for u in named)}): "
                "map them by id"
            )
        elif named[0].href in assigned:
            raise GreenButtonError(f"UsagePoint {named[0].label} is mapped twice")
        else:
            assigned[named[0].href] = meter_id
    if unknown:
        raise GreenButtonError(
            f"no UsagePoint of the feed is {', '.join(unknown)} (the feed has {listed})"
        )
    unmapped = [up.label for up in usage_points if up.href not in assigned]
    if unmapped:
        raise GreenButtonError(f"UsagePoints without a meter: {', '.join(unmapped)}")
    return assigned
