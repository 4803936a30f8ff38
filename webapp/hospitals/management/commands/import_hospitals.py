"""manage.py import_hospitals FILE [FILE ...]: load hospital lists for the nearest-hospital finder."""
from django.core.management.base import BaseCommand, CommandError

from webapp.hospitals.checks import check_locations, describe
from webapp.hospitals.importing import latitude_sign_slips, save_parsed
from webapp.hospitals.models import Hospital
from webapp.hospitals.parsers import FORMATS, ImportFormatError, parse_file

# Enough skipped-row messages to fix a file; the rest are counted.
MAX_PROBLEMS_SHOWN = 50


class Command(BaseCommand):
    help = (
        "Import hospitals from HIFLD CSV, a CSV with name/latitude/longitude columns, or "
        "OpenStreetMap GeoJSON / Overpass JSON. Each file is imported in one transaction. "
        "Importing a file of the same source again (same --source, or the same file name) "
        "updates its rows instead of duplicating them: rows are matched by the file's id "
        "column or, in a file without ids, by name, city and region, so that a corrected "
        "position updates its row (the rows that moved are listed). A hospital renamed in a "
        "file without ids, or one of several rows sharing a name, city and region that moved, "
        "is added anew; stored rows the file no longer lists are kept and counted."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--format", choices=FORMATS, help="skip detection from the file's header")
        parser.add_argument("--if-empty", action="store_true",
                            help="import only when no hospital is stored yet, of any source: once one "
                            "list is stored, every file is skipped (used by `make run`, which so "
                            "imports the shared folder's lists once; add a list later without it)")
        parser.add_argument("--source", help="source name stored with each row (default: "
                            "hifld / osm / the CSV file's name)")
        parser.add_argument("--country", default="", help="country for rows whose file has none")

    def handle(self, *args, files, format=None, if_empty=False, source=None, country="", **options):
        if if_empty and (count := Hospital.objects.count()):
            # All or nothing, whatever the files' sources: a list imported by hand also stops
            # `make run` from importing the shared folder's. Say how to add one.
            self.stdout.write(f"{count} hospital{'s' if count != 1 else ''} already stored: nothing imported (--if-empty skips every "
                              "file once any hospital is stored). To add a list, import it without "
                              f"--if-empty: manage.py import_hospitals {' '.join(files)}")
            return
        failed = []
        for name in files:
            try:
                parsed = parse_file(name, fmt=format, source=source, country=country)
            except ImportFormatError as exc:
                self.stderr.write(self.style.ERROR(f"{name}: not imported: {exc}"))
                failed.append(name)
                continue
            for problem in parsed.problems[:MAX_PROBLEMS_SHOWN]:
                self.stderr.write(f"{name}: skipped {problem}")
            if len(parsed.problems) > MAX_PROBLEMS_SHOWN:
                self.stderr.write(f"{name}: ... and {len(parsed.problems) - MAX_PROBLEMS_SHOWN} more skipped rows")
            flagged = check_locations(parsed.records)
            counts = save_parsed(parsed)
            self.stdout.write(self.style.SUCCESS(
                f"{name} ({parsed.format}, source {parsed.source!r}): {counts.created} created, "
                f"{counts.updated} updated, {counts.unchanged} unchanged, {counts.skipped} skipped"
            ))
            if counts.moved:
                self.stdout.write(f"{name}: {len(counts.moved)} row{'s' if len(counts.moved) != 1 else ''} moved")
                for record, km in counts.moved[:MAX_PROBLEMS_SHOWN]:
                    self.stdout.write(f"{name}: moved {record.unit} {record.line} ({record.name}): {km:.1f} km")
                if len(counts.moved) > MAX_PROBLEMS_SHOWN:
                    self.stdout.write(f"{name}: ... and {len(counts.moved) - MAX_PROBLEMS_SHOWN} more moved rows")
            if counts.not_in_file:
                rows, are = ("row", "is") if counts.not_in_file == 1 else ("rows", "are")
                self.stdout.write(f"{name}: {counts.not_in_file} stored {rows} of source {parsed.source!r} "
                                  f"{are} not in this file (kept)")
            # Imported, but the finder warns beside them: their address or position is doubtful.
            self.stdout.write(f"{name}: {len(flagged)} rows flagged: coordinates outside their stated "
                              "city/province/state, or an address or position shared with another hospital")
            for record in flagged[:MAX_PROBLEMS_SHOWN]:
                reasons = "; ".join(describe(flag) for flag in record.location_flags)
                self.stdout.write(self.style.WARNING(f"{name}: flagged {record.unit} {record.line} "
                                                     f"({record.name}): {reasons}"))
            if len(flagged) > MAX_PROBLEMS_SHOWN:
                self.stdout.write(f"{name}: ... and {len(flagged) - MAX_PROBLEMS_SHOWN} more flagged rows")
            # Left as the file gives them: the finder lists such a row under its town, apart.
            for record, km in latitude_sign_slips(flagged):
                self.stdout.write(self.style.WARNING(
                    f"{name}: {record.unit} {record.line} ({record.name}): with the other sign, latitude "
                    f"{-record.latitude} puts it {km:.0f} km from {record.city}, its stated city: the "
                    "list probably lost a minus sign. Kept as listed (not corrected): check the "
                    "position, fix the file and import it again."))
        if failed:
            raise CommandError(f"{len(failed)} of {len(files)} file(s) not imported: {', '.join(failed)}")
