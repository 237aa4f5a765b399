"""NENA EIDO (NENA-STA-021, JSON form): one incident object, or a list of them.

An EIDO describes one incident through components that point at each other
by ``$id``/``$ref``. We take:

- id: ``incidentTrackingIdentifier``, else the EIDO's own ``$id``;
- time: the earliest ``callStartTimestamp``, else the incident component's
  (or the EIDO's) ``lastUpdateTimeStamp``;
- type: ``incidentTypeInternalText``, else ``incidentTypeCommonRegistryText``,
  else the call's local/standard call type; priority likewise;
- location: the incident's referenced location (else the first that has
  one): a GML ``pos`` (lat lon) and/or a PIDF-LO civic address, read from the
  ``locationByValue`` XML with patterns, never an XML parser (the text is
  untrusted and often not well-formed);
- agency: the agency flagged as incident owner, else the issuing agency;
- narrative: every ``notesActionComments`` and call comment, as plain text.

Older samples capitalise keys (``LastUpdateTimeStamp``); keys are matched
case-insensitively. A feed's ``fields`` may name dotted paths
(``incidentComponent.incidentTypeInternalCode``) to override any of these.
"""

from __future__ import annotations

import html
import re
from typing import Any

from rtcc_desktop.feeds.adapters.batch import Batch, Row, assemble
from rtcc_desktop.feeds.adapters.columns import Plan
from rtcc_desktop.feeds.adapters.errors import AdapterError
from rtcc_desktop.feeds.adapters.payload import server_error
from rtcc_desktop.model.validate import FeedContext

_NUM = r"[-+]?\d+(?:\.\d+)?"
#: PIDF-LO and additional-data XML beyond this is not searched (untrusted text, regex scans).
MAX_XML = 64 * 1024
_GML_POS = re.compile(rf"<(?:\w+:)?pos(?:\s[^>]*)?>\s*({_NUM})\s+({_NUM})", re.I)
_CIVIC_OPEN = re.compile(r"<(?:\w+:)?civicAddress\b[^>]*>", re.I)
_CIVIC_CLOSE = re.compile(r"</(?:\w+:)?civicAddress>", re.I)
_CIVIC_PART = re.compile(r"<(?:\w+:)?(\w+)\b[^>]*>([^<]*)</", re.S)
_COMMENT = re.compile(r"<(?:\w+:)?Comment\b[^>]*>([^<]*)</", re.I)
# Street line, then place, per RFC 4119/5139 civic address elements.
_STREET = ("HNO", "HNS", "PRD", "RD", "STS", "POD")
_PLACE = ("A3", "A1", "PC")
_LOCATION_PREFERENCE = ("incident", "routinglocation", "caller")
#: Where each field comes from, for the import summary.
SOURCES: dict[str, str] = {
    "source_id": "incidentTrackingIdentifier | $id",
    "time": "callComponent.callStartTimestamp | lastUpdateTimeStamp",
    "type": "incidentComponent.incidentTypeInternalText | incidentTypeCommonRegistryText | call type",
    "priority": "incidentComponent.incidentPriorityInternalText | incidentCommonPriorityNumber",
    "address": "locationComponent civicAddress | locationDescriptionText",
    "lat": "locationComponent gml:pos",
    "lon": "locationComponent gml:pos",
    "agency": "agencyComponent (owning) | updatedByAgencyReference",
    "narrative": "notesComponent.notesActionComments + call comments",
}


def parse(obj: Any, ctx: FeedContext, fields: dict[str, str] | None) -> Batch:
    """Incidents of an EIDO payload as a :class:`Batch` of CAD records."""
    message = server_error(obj)
    if message:
        raise AdapterError(f"server returned an error instead of an EIDO: {message}")
    if ctx.kind != "cad":
        raise AdapterError(f"an EIDO carries incidents: configure this feed with kind = cad, not {ctx.kind}")
    items = obj if isinstance(obj, list) else [obj]
    if not items:
        return assemble([], Plan(), ctx)
    rows = []
    for item in items:
        if not isinstance(item, dict) or not _looks_like_eido(item):
            rows.append(Row(item, {}, "item is not an EIDO (no eidoVersion, incident or call component)"))
            continue
        rows.append(Row(item, read_eido(item)))
    if not any(r.problem is None for r in rows):
        raise AdapterError("payload holds no EIDO objects (expected eidoVersion and incident/call components)")
    plan = Plan(columns={f: [f] for f in ("source_id", "type", "priority", "address", "narrative", "agency", "lat", "lon")},
                time_parts=["time"])
    mapping = dict(SOURCES)
    for ours, path in (fields or {}).items():
        if ours not in mapping:
            raise AdapterError(f"fields: {ours!r} is not a cad field; use one of: {', '.join(mapping)}")
        _override(rows, ours, path)
        mapping[ours] = path
    batch = assemble(rows, plan, ctx)
    batch.mapping = mapping
    return batch


def read_eido(eido: dict[str, Any]) -> dict[str, Any]:
    """Our fields from one EIDO object (values as text, still unvalidated)."""
    incident = _first(_get(eido, "incidentComponent"))
    calls = [c for c in _list(_get(eido, "callComponent")) if isinstance(c, dict)]
    out: dict[str, Any] = {
        "source_id": _get(eido, "incidentTrackingIdentifier") or _get(incident, "internalIncidentId") or _get(eido, "$id"),
        "time": _call_start(calls) or _get(incident, "lastUpdateTimeStamp") or _get(eido, "lastUpdateTimeStamp"),
        "type": _get(incident, "incidentTypeInternalText") or _get(incident, "incidentTypeCommonRegistryText")
        or _first_of(calls, "localCallType") or _first_of(calls, "standardPrimaryCallType"),
        "priority": _get(incident, "incidentPriorityInternalText") or _get(incident, "incidentCommonPriorityNumber")
        or _first_of(calls, "priorityIdentifier"),
        "agency": _owning_agency(eido),
        "narrative": _narrative(eido) or None,
    }
    lat, lon, address = _location(eido, incident)
    out.update(lat=lat, lon=lon, address=address)
    return out


def _looks_like_eido(obj: dict[str, Any]) -> bool:
    keys = {k.lower() for k in obj}
    return bool(keys & {"eidoversion", "incidentcomponent", "callcomponent", "incidenttrackingidentifier"})


def _get(obj: Any, key: str) -> Any:
    """``obj[key]`` matched case-insensitively (older EIDOs capitalise keys)."""
    if not isinstance(obj, dict):
        return None
    if key in obj:
        return obj[key]
    lower = key.lower()
    return next((v for k, v in obj.items() if isinstance(k, str) and k.lower() == lower), None)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else ([value] if value is not None else [])


def _first(value: Any) -> Any:
    items = _list(value)
    return items[0] if items else None


def _first_of(objs: list[dict[str, Any]], key: str) -> Any:
    return next((v for v in (_get(o, key) for o in objs) if v not in (None, "")), None)


def _call_start(calls: list[dict[str, Any]]) -> str | None:
    starts = sorted(str(s) for s in (_get(c, "callStartTimestamp") for c in calls) if isinstance(s, str) and s.strip())
    return starts[0] if starts else None


def _owning_agency(eido: dict[str, Any]) -> str | None:
    agencies = [a for a in _list(_get(eido, "agencyComponent")) if isinstance(a, dict)]
    owner = next((a for a in agencies if _get(a, "incidentOwningAgencyIndicator") is True), None)
    if owner:
        return _get(owner, "organizationIdentification") or _get(owner, "$id")
    ref = _get(_get(eido, "updatedByAgencyReference"), "$ref")
    return ref or _get(eido, "owningAgencyIdentifier")


def _location(eido: dict[str, Any], incident: Any) -> tuple[str | None, str | None, str | None]:
    locations = [loc for loc in _list(_get(eido, "locationComponent")) + _list(_get(eido, "locationInformationComponent"))
                 if isinstance(loc, dict)]
    wanted = {str(_get(r, "$ref")) for r in _list(_get(incident, "locationReference")) if isinstance(r, dict)}

    def rank(loc: dict[str, Any]) -> tuple[int, int]:
        kind = str(_get(loc, "locationTypeDescriptionRegistryText") or "").lower()
        pref = _LOCATION_PREFERENCE.index(kind) if kind in _LOCATION_PREFERENCE else len(_LOCATION_PREFERENCE)
        return (0 if str(_get(loc, "$id")) in wanted else 1, pref)

    lat = lon = address = None
    for loc in sorted(locations, key=rank):
        pidf = _get(loc, "locationByValue")
        text = pidf[:MAX_XML] if isinstance(pidf, str) else ""
        if lat is None:
            m = _GML_POS.search(text)
            if m:  # GML pos is "lat lon [alt]" for EPSG 4326/4979
                lat, lon = m.group(1), m.group(2)
        if address is None:
            address = _civic(text) or _get(loc, "locationDescriptionText")
        if lat is not None and address is not None:
            break
    return lat, lon, address


def _civic(pidf: str) -> str | None:
    start = _CIVIC_OPEN.search(pidf)
    end = _CIVIC_CLOSE.search(pidf, start.end()) if start else None
    if not start or not end:
        return None
    body = pidf[start.end():end.start()]
    parts = {k.upper(): html.unescape(v.strip()) for k, v in _CIVIC_PART.findall(body) if v.strip()}
    street = " ".join(parts[k] for k in _STREET if k in parts)
    place = ", ".join(parts[k] for k in _PLACE if k in parts)
    return ", ".join(p for p in (street, place) if p) or None


def _narrative(eido: dict[str, Any]) -> str:
    notes = [str(_get(n, "notesActionComments")) for n in _list(_get(eido, "notesComponent"))
             if isinstance(n, dict) and _get(n, "notesActionComments")]
    for extra in _list(_get(eido, "additionalDataComponent")):
        value = _get(extra, "additionalDataByValue")
        if isinstance(value, str):
            notes += [html.unescape(c.strip()) for c in _COMMENT.findall(value[:MAX_XML]) if c.strip()]
    return "\n".join(n.strip() for n in notes if n.strip())


def _override(rows: list[Row], ours: str, path: str) -> None:
    found = False
    for row in rows:
        if row.problem is None:
            value = _path(row.raw, path)
            found = found or value is not None
            row.values[ours] = value
    if not found:
        raise AdapterError(f"field {ours!r} is mapped to {path!r}, which no EIDO in the payload has")


def _path(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(obj, list):
            obj = obj[int(part)] if part.isdigit() and int(part) < len(obj) else _get(_first(obj), part)
        else:
            obj = _get(obj, part)
        if obj is None:
            return None
    return obj if not isinstance(obj, (dict, list)) else str(obj)
