"""Readings stop keeping the uploaded file's name (issue 17): names such as "Budi Santoso
chest.png" often hold the patient's name. The stored names are blanked first (a data migration),
then the column is dropped; the person's own typed reference (patient_reference) stays."""

from django.db import migrations


def blank_file_names(apps, schema_editor):
    Reading = apps.get_model("screening", "Reading")
    Reading.objects.exclude(original_filename="").update(original_filename="")


class Migration(migrations.Migration):

    dependencies = [
        ("screening", "0005_api_tokens_and_idempotency"),
    ]

    operations = [
        # Not reversible in content: a name once forgotten cannot come back (the column does).
        migrations.RunPython(blank_file_names, migrations.RunPython.noop),
        migrations.RemoveField(model_name="reading", name="original_filename"),
    ]
