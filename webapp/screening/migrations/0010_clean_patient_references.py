"""Clean the patient references already stored as every new one is (patient_ids.patient_reference):
before, a reference typed on a reading's page kept double spaces and invisible characters, and
one typed at upload (web form or API) kept a zero-width space (U+200B), so that a reference
pasted with one, or with a no-break space (U+00A0), looked like, but was not, the one typed by
hand: the history's filter and the compare page did not find it. Readings and the batch items still waiting to be screened are both cleaned.

The cleaning is copied here as it was when this migration was written (a migration must not
change meaning when the code it once imported does); test_patient_reference_cleaning.py checks
that it still agrees with patient_reference. Reversing it restores nothing (the old spellings are
not kept) and changes nothing.
"""
from django.db import migrations

MAX_LENGTH = 64


def clean(text: str) -> str:
    text = "".join(" " if ch.isspace() else ch for ch in text if ch.isspace() or ch.isprintable())
    return " ".join(text.split())[:MAX_LENGTH]


def clean_references(apps, schema_editor):
    for name in ("Reading", "BatchItem"):
        model = apps.get_model("screening", name)
        changed = []
        rows = model.objects.exclude(patient_reference="").only("pk", "patient_reference")
        for row in rows.iterator(chunk_size=1000):
            cleaned = clean(row.patient_reference)
            if cleaned != row.patient_reference:
                row.patient_reference = cleaned
                changed.append(row)
        model.objects.bulk_update(changed, ["patient_reference"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ('screening', '0009_reading_taken_on'),
    ]

    operations = [
        migrations.RunPython(clean_references, migrations.RunPython.noop, elidable=True),
    ]
