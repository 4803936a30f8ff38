"""Read hospital lists (HIFLD CSV, generic CSV, OpenStreetMap GeoJSON / Overpass JSON) into records.

No database here: `parse_file` turns a file into `HospitalRecord`s plus the rows it had to skip
(each with its line number, or feature number for JSON), and raises `ImportFormatError` when the
file as a whole cannot be read. `webapp.hospitals.importing` writes the records.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

FORMATS = ("hifld", "generic", "osm")

# Column names a generic CSV may use, after lower-casing and turning spaces/dashes into "_".
# The first alias present wins; a column is used for one field only.
GENERIC_COLUMNS = {
    "name": ["name", "hospital_name", "hospital", "facility_name", "facility", "nama"],
    "latitude": ["latitude", "lat", "y"],
    "longitude": ["longitude", "lon", "lng", "long", "x"],
    "address": ["address", "street", "alamat"],
    "region": ["province", "state", "region", "provinsi"],
    "city": ["city", "town", "kota", "kabupaten", "region"],
    "country": ["country", "negara"],
    "phone": ["phone", "telephone", "tel", "telepon"],
    "type": ["type", "facility_type", "kind"],
    "status": ["status"],
    "beds": ["beds", "bed_count"],
    "external_id": ["id", "external_id", "ref"],
    "source_date": ["source_date", "date"],
}
HIFLD_MARKERS = {"OBJECTID", "NAME", "LATITUDE", "LONGITUDE", "STATUS", "SOURCEDATE"}
# Values the HIFLD layer uses for "unknown".
HIFLD_MISSING = {"NOT AVAILABLE", "-999", ""}
CLOSED_WORDS = {"closed", "tutup", "inactive", "permanently closed", "defunct"}

MAX_LENGTHS = {"name": 255, "address": 500, "city": 255, "region": 255, "country": 100,
               "phone": 255, "type": 255, "external_id": 255}


class ImportFormatError(Exception):
    """The file as a whole cannot be imported (unreadable, unknown layout, missing columns)."""


@dataclass
class HospitalRecord:
    external_id: str
    name: str
    latitude: float
    longitude: float
    address: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    phone: str = ""
    type: str = ""
    status: str = "open"
    beds: int | None = None
    source_date: dt.date | None = None
    # What webapp.hospitals.checks found doubtful about the row's place (stored).
    location_flags: list = field(default_factory=list, compare=False)
    # Where the record came from in its file, for messages; not stored.
    line: int = field(default=0, compare=False)
    unit: str = field(default="line", compare=False)
    # True when the source gave no id and external_id is stable_id(name, position): the import
    # then finds the stored row by name, city and region (identity_key) when the row moved.
    derived_id: bool = field(default=False, compare=False)

    def model_fields(self) -> dict:
        values = {k: v for k, v in self.__dict__.items() if k not in ("line", "unit", "derived_id")}
        for name, limit in MAX_LENGTHS.items():
            values[name] = values[name][:limit]
        values["category"] = category_of(self.type, self.name)
        return values


# The source's type (HIFLD's TYPE, OpenStreetMap's healthcare=*, a CSV's type column) -> category.
# Types not listed here, and rows without a type, are "unknown" (suggested like general ones).
TYPE_CATEGORIES = {
    "general acute care": "general", "critical access": "general", "hospital": "general",
    "general": "general", "rumah sakit umum": "general",
    "children": "children", "women": "women", "special": "specialty", "specialty": "specialty",
    "psychiatric": "psychiatric", "rehabilitation": "rehabilitation",
    "long term care": "long_term", "chronic disease": "long_term", "military": "military",
}
# Veterans Affairs hospitals take veterans only; "Veterans Memorial Hospital" (a community
# hospital named after them) does not match.
VETERANS_NAME = re.compile(r"\bVA\b|\bV\.A\.|VETERANS (ADMINISTRATION|AFFAIRS|HOSPITAL)|VETERAN'?S HEALTH",
                           re.IGNORECASE)


def category_of(type_text: str, name: str) -> str:
    category = TYPE_CATEGORIES.get(clean(type_text).casefold(), "unknown")
    if category == "military" or VETERANS_NAME.search(name or ""):
        # HIFLD files VA medical centres under MILITARY or GENERAL ACUTE CARE alike.
        return "veterans" if VETERANS_NAME.search(name or "") else "military"
    return category


@dataclass
class RowProblem:
    line: int
    message: str
    unit: str = "line"  # "line" for CSV, "feature"/"element" for JSON

    def __str__(self) -> str:
        return f"{self.unit} {self.line}: {self.message}"


@dataclass
class ParsedFile:
    path: Path
    format: str
    source: str
    records: list[HospitalRecord] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


class RowError(ValueError):
    """One row is unusable; it is skipped and reported."""


# --- shared helpers ---------------------------------------------------------------------------

def clean(value) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def number(text) -> float:
    """A float from text, accepting one decimal comma ("-7,5", as spreadsheets write it in Indonesia)."""
    text = str(text).strip()
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    return float(text)


def coordinates(lat_text, lon_text) -> tuple[float, float]:
    try:
        lat, lon = number(lat_text), number(lon_text)
    except ValueError:
        raise RowError(f"coordinates are not numbers (latitude {lat_text!r}, longitude {lon_text!r})") from None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise RowError("coordinates are not finite numbers")
    if not -90 <= lat <= 90:
        raise RowError(f"latitude {lat} is outside [-90, 90]")
    if not -180 <= lon <= 180:
        raise RowError(f"longitude {lon} is outside [-180, 180]")
    if lat == 0 and lon == 0:
        raise RowError("coordinates 0, 0 are a placeholder, not a location")
    return lat, lon


def required_name(value) -> str:
    name = clean(value)
    if not name:
        raise RowError("the name is empty")
    return name


def beds_or_none(value) -> int | None:
    try:
        beds = int(float(str(value).strip()))
    except (TypeError, ValueError):
        return None
    return beds if beds >= 0 else None


def status_of(value) -> str:
    return "closed" if clean(value).lower() in CLOSED_WORDS else "open"


def date_or_none(value) -> dt.date | None:
    text = clean(value)[:10]
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def stable_id(name: str, lat: float, lon: float) -> str:
    """An id for sources without one: the same name at the same place (to ~1 m) gives the same id.
    A corrected position gives another id: the import matches such rows by identity_key."""
    key = f"{name.casefold()}|{lat:.5f}|{lon:.5f}"
    return "h" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]


def identity_key(name: str, city: str, region: str) -> tuple[str, str, str]:
    """What names a hospital within a source without ids, its position aside."""
    return clean(name).casefold(), clean(city).casefold(), clean(region).casefold()


def _with_id(record: HospitalRecord, source_id: str) -> HospitalRecord:
    """`source_id`, or stable_id when the source gave none (then marked derived_id)."""
    if source_id:
        record.external_id = source_id
    else:
        record.external_id = stable_id(record.name, record.latitude, record.longitude)
        record.derived_id = True
    return record


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFormatError(f"line {line}: the file is not valid UTF-8 text") from None


# --- format detection -------------------------------------------------------------------------

def normalise_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def delimiter_of(text: str) -> str:
    """Comma, semicolon (spreadsheets in many locales) or tab: the most frequent in the header."""
    first_line = text.split("\n", 1)[0]
    return max([",", ";", "\t"], key=first_line.count)


def csv_header(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text), delimiter=delimiter_of(text)), [])


def detect_format(text: str) -> str:
    if text.lstrip().startswith(("{", "[")):
        return "osm"
    header = csv_header(text)
    names = {h.strip() for h in header}
    if HIFLD_MARKERS <= names:
        return "hifld"
    normalised = {normalise_header(h) for h in header}
    has = lambda key: any(alias in normalised for alias in GENERIC_COLUMNS[key])  # noqa: E731
    if has("name") and has("latitude") and has("longitude"):
        return "generic"
    raise ImportFormatError(
        "unrecognised layout: expected an HIFLD CSV, a CSV with name/latitude/longitude columns, "
        "or OpenStreetMap GeoJSON / Overpass JSON"
    )


# --- CSV formats ------------------------------------------------------------------------------

def _csv_rows(text: str):
    """(line number, row dict) for each data row; the line is where the row starts."""
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter_of(text))
    start = 2
    for row in reader:
        yield start, {k: (v or "") for k, v in row.items() if k is not None}
        start = reader.line_num + 1


def hifld_value(row: dict, key: str) -> str:
    value = clean(row.get(key))
    return "" if value.upper() in HIFLD_MISSING else value


def parse_hifld(text: str, parsed: ParsedFile) -> None:
    missing = {"NAME", "LATITUDE", "LONGITUDE"} - {h.strip() for h in csv_header(text)}
    if missing:
        raise ImportFormatError(f"missing HIFLD column(s): {', '.join(sorted(missing))}")
    for line, row in _csv_rows(text):
        try:
            lat, lon = coordinates(row.get("LATITUDE") or row.get("Y"), row.get("LONGITUDE") or row.get("X"))
            name = required_name(row.get("NAME"))
        except RowError as exc:
            parsed.problems.append(RowProblem(line, str(exc)))
            continue
        known = partial(hifld_value, row)
        parsed.records.append(_with_id(HospitalRecord(
            external_id="", name=name, latitude=lat, longitude=lon,
            address=known("ADDRESS"), city=known("CITY"), region=known("STATE"),
            country=known("COUNTRY"), phone=known("TELEPHONE"), type=known("TYPE"),
            status=status_of(row.get("STATUS")), beds=beds_or_none(row.get("BEDS")),
            source_date=date_or_none(row.get("SOURCEDATE")), line=line,
        ), known("ID")))


def _generic_column_map(header: list[str]) -> dict[str, str]:
    by_normalised = {normalise_header(h): h for h in header if h}
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for key, aliases in GENERIC_COLUMNS.items():
        for alias in aliases:
            if alias in by_normalised and alias not in used:
                mapping[key] = by_normalised[alias]
                used.add(alias)
                break
    missing = [key for key in ("name", "latitude", "longitude") if key not in mapping]
    if missing:
        raise ImportFormatError(f"missing column(s): {', '.join(missing)}")
    return mapping


def generic_value(row: dict, columns: dict[str, str], key: str) -> str:
    return clean(row.get(columns[key], "")) if key in columns else ""


def parse_generic(text: str, parsed: ParsedFile, country: str = "") -> None:
    header = csv_header(text)
    columns = _generic_column_map(header)
    for line, row in _csv_rows(text):
        value = partial(generic_value, row, columns)
        try:
            lat, lon = coordinates(value("latitude"), value("longitude"))
            name = required_name(value("name"))
        except RowError as exc:
            parsed.problems.append(RowProblem(line, str(exc)))
            continue
        region, city = value("region"), value("city")
        # e.g. the Indonesian list's "KOTA BANDA ACEH, ACEH" beside province "Aceh".
        if region and city.casefold().endswith(", " + region.casefold()):
            city = city[: -len(region) - 2]
        parsed.records.append(_with_id(HospitalRecord(
            external_id="", name=name, latitude=lat, longitude=lon, address=value("address"), city=city,
            region=region, country=value("country") or country, phone=value("phone"),
            type=value("type"), status=status_of(value("status")), beds=beds_or_none(value("beds")),
            source_date=date_or_none(value("source_date")), line=line,
        ), value("external_id")))


# --- OpenStreetMap ----------------------------------------------------------------------------

def _mean_point(positions: list) -> tuple[float, float]:
    """(lat, lon) of a GeoJSON geometry's vertices, as a representative point of a small area."""
    points = [p for p in positions if isinstance(p, list | tuple) and len(p) >= 2]
    if not points:
        raise RowError("the geometry has no coordinates")
    lon = sum(float(p[0]) for p in points) / len(points)
    lat = sum(float(p[1]) for p in points) / len(points)
    return lat, lon


def _geojson_point(geometry: dict | None) -> tuple[float, float]:
    if not isinstance(geometry, dict):
        raise RowError("the feature has no geometry")
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    try:
        if kind == "Point":
            return coordinates(coords[1], coords[0])
        if kind in ("LineString", "MultiPoint"):
            return coordinates(*_mean_point(coords))
        if kind == "Polygon":
            return coordinates(*_mean_point(coords[0][:-1] or coords[0]))
        if kind == "MultiPolygon":
            return coordinates(*_mean_point([p for polygon in coords for p in polygon[0][:-1]]))
    except (TypeError, IndexError, KeyError):
        raise RowError(f"malformed {kind} coordinates") from None
    raise RowError(f"unsupported geometry type {kind!r}")


def _record_from_tags(tags: dict, osm_id: str, lat: float, lon: float) -> HospitalRecord:
    tag = lambda key: clean(tags.get(key))  # noqa: E731
    name = required_name(tag("name") or tag("name:en") or tag("official_name"))
    street = " ".join(part for part in (tag("addr:street"), tag("addr:housenumber")) if part)
    closed = any(key.split(":")[0] in ("disused", "abandoned", "was") for key in tags)
    return _with_id(HospitalRecord(
        external_id="", name=name, latitude=lat, longitude=lon,
        address=tag("addr:full") or street, city=tag("addr:city"),
        region=tag("addr:state") or tag("addr:province"), country=tag("addr:country"),
        phone=tag("phone") or tag("contact:phone"),
        type=tag("healthcare") or tag("amenity"),
        status="closed" if closed else status_of(tag("status")), beds=beds_or_none(tags.get("beds")),
    ), osm_id)


def parse_osm(text: str, parsed: ParsedFile) -> None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # "Invalid control character at" is completed by the position: say it in full.
        raise ImportFormatError(f"line {exc.lineno}, column {exc.colno}: not valid JSON "
                                f"({exc.msg.removesuffix(' at')})") from None
    if isinstance(data, dict) and isinstance(data.get("features"), list):
        for number, feature in enumerate(data["features"], start=1):
            try:
                if not isinstance(feature, dict):
                    raise RowError("not a GeoJSON feature")
                props = feature.get("properties") or {}
                tags = {**props, **(props.get("tags") or {})} if isinstance(props, dict) else {}
                osm_id = clean(props.get("@id") or props.get("id") or feature.get("id"))
                lat, lon = _geojson_point(feature.get("geometry"))
                record = _record_from_tags(tags, osm_id, lat, lon)
                record.line, record.unit = number, "feature"
                parsed.records.append(record)
            except RowError as exc:
                parsed.problems.append(RowProblem(number, str(exc), unit="feature"))
    elif isinstance(data, dict) and isinstance(data.get("elements"), list):
        for number, element in enumerate(data["elements"], start=1):
            try:
                if not isinstance(element, dict):
                    raise RowError("not an Overpass element")
                where = element if "lat" in element else element.get("center")
                if not isinstance(where, dict):
                    raise RowError("no coordinates (export ways and relations with `out center`)")
                lat, lon = coordinates(where.get("lat"), where.get("lon"))
                osm_id = f"{element.get('type', 'node')}/{element['id']}" if "id" in element else ""
                record = _record_from_tags(element.get("tags") or {}, osm_id, lat, lon)
                record.line, record.unit = number, "element"
                parsed.records.append(record)
            except RowError as exc:
                parsed.problems.append(RowProblem(number, str(exc), unit="element"))
    else:
        raise ImportFormatError("JSON without `features` (GeoJSON) or `elements` (Overpass)")


# --- entry point ------------------------------------------------------------------------------

def drop_duplicate_ids(parsed: ParsedFile) -> None:
    """Keep the first record of each external id: the unique key would otherwise merge them."""
    seen: set[str] = set()
    kept = []
    for record in parsed.records:
        if record.external_id in seen:
            message = f"duplicate id {record.external_id!r} (kept the first)"
            parsed.problems.append(RowProblem(record.line, message, unit=record.unit))
            continue
        seen.add(record.external_id)
        kept.append(record)
    parsed.records = kept


def parse_file(path: str | Path, fmt: str | None = None, source: str | None = None,
               country: str = "") -> ParsedFile:
    """Read one file. `fmt` None detects it from the content; `source` defaults per format."""
    path = Path(path)
    try:
        text = read_text(path)
    except OSError as exc:
        raise ImportFormatError(f"cannot read the file: {exc.strerror}") from None
    fmt = fmt or detect_format(text)
    if fmt not in FORMATS:
        raise ImportFormatError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    default_source = {"hifld": "hifld", "osm": "osm", "generic": path.stem}[fmt]
    parsed = ParsedFile(path=path, format=fmt, source=(source or default_source)[:100])
    if fmt == "hifld":
        parse_hifld(text, parsed)
    elif fmt == "generic":
        parse_generic(text, parsed, country=country)
    else:
        parse_osm(text, parsed)
    drop_duplicate_ids(parsed)
    return parsed
