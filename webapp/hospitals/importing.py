"""Write parsed hospital records to the database: one transaction per file, upsert by source id.

A record is matched to a stored row of its source by the source's id. A source without ids gets
an id made of the name and the position (parsers.stable_id), which changes when a corrected file
moves a hospital; such a record is then matched by its name, city and region
(parsers.identity_key) to the stored row of that identity whose id is likewise derived and that
no other record of the file claims, provided the identity is unique on both sides. Two rows of
one name, city and region are told apart by position only: if one of them moves, it is added
anew and the old row stays (reported as no longer in the file).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from .models import Hospital
from .nearest import great_circle_km
from .parsers import HospitalRecord, ParsedFile, identity_key, stable_id
from .places import town_name_keys

UPDATABLE_FIELDS = ["name", "address", "city", "region", "country", "phone", "latitude",
                    "longitude", "type", "status", "beds", "source_date", "category", "location_flags"]


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    # Updated rows whose position changed: (record, km from the stored position).
    moved: list[tuple[HospitalRecord, float]] = field(default_factory=list)
    # Stored rows of the source that the file does not list (kept).
    not_in_file: int = 0


def latitude_sign_slips(flagged: list[HospitalRecord]) -> list[tuple[HospitalRecord, float]]:
    """(record, km) for the flagged records whose latitude, with the other sign, lies within
    checks.CITY_KM of a town named as their stated city (GeoNames, 1,000 people or more): the
    list most likely lost a minus sign ("6.13" for Jakarta's -6.13). Reported by the import, not
    corrected: the file says what it says, and a town of that name near the mirrored point is a
    strong hint, not a proof. Another country's town of that name so near the mirror image of the
    row's position is not worth ruling out."""
    from .checks import CITY_KM, towns  # checks loads GeoNames: only an import needs it

    all_towns = towns()
    slips = []
    for record in flagged:
        if not record.city or not record.latitude:
            continue
        points = [(lat, lon) for key in town_name_keys(record.city) for _c, _a, lat, lon in all_towns.get(key, ())]
        if not points:
            continue
        lats, lons = zip(*points, strict=True)
        km = float(min(great_circle_km(-record.latitude, record.longitude, lats, lons)))
        if km <= CITY_KM:
            slips.append((record, km))
    return slips


def recheck_source(source: str) -> list[Hospital]:
    """Run the import's location checks (webapp.hospitals.checks) again over the stored rows of
    `source`, as an import of its file would, and store the flags that changed: an administrator
    moved or re-addressed a row. Returns the rows whose flags changed. Each row is checked
    against the others of its list, so all are read (HIFLD's 7,600 rows: about ten seconds)."""
    from .checks import check_locations  # checks loads GeoNames: only imports and saves need it

    rows = list(Hospital.objects.filter(source=source).order_by("id"))  # the file's order
    records = [HospitalRecord(external_id=h.external_id, name=h.name, latitude=h.latitude, longitude=h.longitude,
                              address=h.address, city=h.city, region=h.region, country=h.country)
               for h in rows]
    check_locations(records)
    now, changed = timezone.now(), []
    for hospital, record in zip(rows, records, strict=True):
        if hospital.location_flags != record.location_flags:
            hospital.location_flags, hospital.updated_at = record.location_flags, now
            changed.append(hospital)
    Hospital.objects.bulk_update(changed, ["location_flags", "updated_at"], batch_size=500)
    return changed


def _by_identity(records: list[HospitalRecord], existing: dict[str, Hospital]) -> dict[str, Hospital]:
    """record.external_id -> stored row, for records with a derived id that matches no stored
    id: the stored row of the same unique identity whose own id is derived, unclaimed by the file."""
    claimed = {record.external_id for record in records}
    rows: dict[tuple, list[Hospital]] = {}
    for hospital in existing.values():
        if hospital.external_id not in claimed and hospital.external_id == stable_id(
                hospital.name, hospital.latitude, hospital.longitude):
            rows.setdefault(identity_key(hospital.name, hospital.city, hospital.region), []).append(hospital)
    unmatched: dict[tuple, list[HospitalRecord]] = {}
    for record in records:
        if record.derived_id and record.external_id not in existing:
            unmatched.setdefault(identity_key(record.name, record.city, record.region), []).append(record)
    return {found[0].external_id: rows[key][0] for key, found in unmatched.items()
            if len(found) == 1 and len(rows.get(key, ())) == 1}


def save_parsed(parsed: ParsedFile) -> ImportCounts:
    """Create new rows and update changed ones for `parsed.source`; all or nothing.

    Rows of the same source that the file no longer lists are kept: a partial export must not
    delete hospitals.
    """
    counts = ImportCounts(skipped=len(parsed.problems))
    now = timezone.now()
    with transaction.atomic():
        existing = {h.external_id: h for h in Hospital.objects.filter(source=parsed.source)}
        moved_rows = _by_identity(parsed.records, existing)
        to_create, to_update, seen = [], [], set()
        for record in parsed.records:
            values = record.model_fields()
            hospital = existing.get(record.external_id) or moved_rows.get(record.external_id)
            if hospital is None:
                to_create.append(Hospital(source=parsed.source, created_at=now, updated_at=now, **values))
                continue
            seen.add(hospital.pk)
            changed = [name for name in [*UPDATABLE_FIELDS, "external_id"] if getattr(hospital, name) != values[name]]
            if not changed:
                counts.unchanged += 1
                continue
            if "latitude" in changed or "longitude" in changed:
                km = great_circle_km(hospital.latitude, hospital.longitude, record.latitude, record.longitude)
                counts.moved.append((record, float(km)))
            for name in changed:
                setattr(hospital, name, values[name])
            hospital.updated_at = now  # bulk_update does not apply auto_now
            to_update.append(hospital)
        Hospital.objects.bulk_create(to_create, batch_size=500)
        Hospital.objects.bulk_update(to_update, [*UPDATABLE_FIELDS, "external_id", "updated_at"], batch_size=500)
    counts.created, counts.updated = len(to_create), len(to_update)
    counts.not_in_file = sum(1 for h in existing.values() if h.pk not in seen)
    return counts
