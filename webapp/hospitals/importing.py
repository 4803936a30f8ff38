"""Write parsed hospital records to the database: one transaction per file, upsert by source id."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .models import Hospital
from .parsers import ParsedFile

UPDATABLE_FIELDS = ["name", "address", "city", "region", "country", "phone", "latitude",
                    "longitude", "type", "status", "beds", "source_date", "category", "location_flags"]


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0


def save_parsed(parsed: ParsedFile) -> ImportCounts:
    """Create new rows and update changed ones for `parsed.source`; all or nothing.

    Rows of the same source that the file no longer lists are kept: a partial export must not
    delete hospitals.
    """
    counts = ImportCounts(skipped=len(parsed.problems))
    now = timezone.now()
    with transaction.atomic():
        existing = {h.external_id: h for h in Hospital.objects.filter(source=parsed.source)}
        to_create, to_update = [], []
        for record in parsed.records:
            values = record.model_fields()
            hospital = existing.get(record.external_id)
            if hospital is None:
                to_create.append(Hospital(source=parsed.source, created_at=now, updated_at=now, **values))
                continue
            changed = [name for name in UPDATABLE_FIELDS if getattr(hospital, name) != values[name]]
            if not changed:
                counts.unchanged += 1
                continue
            for name in changed:
                setattr(hospital, name, values[name])
            hospital.updated_at = now  # bulk_update does not apply auto_now
            to_update.append(hospital)
        Hospital.objects.bulk_create(to_create, batch_size=500)
        Hospital.objects.bulk_update(to_update, [*UPDATABLE_FIELDS, "updated_at"], batch_size=500)
    counts.created, counts.updated = len(to_create), len(to_update)
    return counts
