"""`manage.py import_hospitals` on the real shared lists and on small files written here."""
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from webapp.hospitals.models import Hospital
from webapp.hospitals.nearest import nearest_open_hospitals
from webapp.hospitals.parsers import ImportFormatError, detect_format, parse_file

pytestmark = pytest.mark.django_db

US_FILE = "us_hifld_hospitals.csv"
ID_FILE = "indonesia_covid_referral_hospitals.csv"


def run_import(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_hospitals", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_detects_the_format_of_each_real_file(hospitals_dir):
    assert detect_format((hospitals_dir / US_FILE).read_text(encoding="utf-8-sig")) == "hifld"
    assert detect_format((hospitals_dir / ID_FILE).read_text(encoding="utf-8")) == "generic"


def test_imports_the_us_hifld_list_with_closed_rows_marked(hospitals_dir):
    out, err = run_import(hospitals_dir / US_FILE)
    assert "7581 created, 0 updated, 0 unchanged, 0 skipped" in out
    assert err == ""
    assert Hospital.objects.filter(source="hifld").count() == 7581
    assert Hospital.objects.filter(status=Hospital.Status.CLOSED).count() == 435
    # A row checked by hand in the CSV (OBJECTID 3), BOM-prefixed header read correctly.
    la = Hospital.objects.get(source="hifld", external_id="0011190023")
    assert la.name == "EAST LOS ANGELES DOCTORS HOSPITAL"
    assert (la.city, la.region, la.country) == ("LOS ANGELES", "CA", "USA")
    assert la.latitude == pytest.approx(34.023647302) and la.longitude == pytest.approx(-118.184164805)
    assert la.beds == 127 and la.status == "open" and la.source_date.isoformat() == "2018-08-08"
    # "NOT AVAILABLE" and -999 are stored as unknown, not as text or a negative count.
    hanford = Hospital.objects.get(source="hifld", external_id="0005793230")
    assert hanford.status == "closed" and hanford.phone == ""


def test_imports_the_indonesian_list(hospitals_dir):
    out, _ = run_import(hospitals_dir / ID_FILE, "--country", "Indonesia")
    assert "128 created" in out
    assert Hospital.objects.count() == 128
    sanglah = Hospital.objects.get(name="RSUP SANGLAH")
    assert (sanglah.city, sanglah.region, sanglah.country) == ("KOTA DENPASAR", "Bali", "Indonesia")
    assert sanglah.phone == "(0361) 227912"
    assert sanglah.phone_numbers() == [("(0361) 227912", "tel:0361227912")]
    # Several numbers in one cell become several links.
    tangerang = Hospital.objects.get(name="RS UMUM DAERAH KABUPATEN TANGERANG")
    assert [href for _, href in tangerang.phone_numbers()] == [
        "tel:0215523507", "tel:0215512948", "tel:0215513709"]


def test_closed_hospitals_are_never_suggested(hospitals_dir):
    run_import(hospitals_dir / US_FILE)
    closed = Hospital.objects.filter(status=Hospital.Status.CLOSED)
    for hospital in closed[:25]:
        found = nearest_open_hospitals(hospital.latitude, hospital.longitude, k=10)
        assert found and all(item.hospital.status == "open" for item in found)
        assert hospital.id not in {item.hospital.id for item in found}


def test_reimport_updates_instead_of_duplicating(hospitals_dir, tmp_path):
    run_import(hospitals_dir / ID_FILE)
    out, _ = run_import(hospitals_dir / ID_FILE)
    assert "0 created, 0 updated, 128 unchanged" in out
    assert Hospital.objects.count() == 128

    # The same file with one phone number changed and one hospital marked closed.
    lines = (hospitals_dir / ID_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n") + ",status\n"
    rows = [line.rstrip("\n") + ",\n" for line in lines[1:]]
    rows[2] = rows[2].replace("(0361) 227912", "(0361) 999999")  # RSUP SANGLAH
    rows[3] = rows[3].rstrip(",\n") + ",closed\n"
    changed = tmp_path / ID_FILE  # same file name: same source
    changed.write_text(header + "".join(rows), encoding="utf-8")
    out, _ = run_import(changed)
    assert "0 created, 2 updated, 126 unchanged" in out
    assert Hospital.objects.count() == 128
    assert Hospital.objects.get(name="RSUP SANGLAH").phone == "(0361) 999999"
    assert Hospital.objects.get(name="RS UMUM DAERAH KAB. BULELENG").status == "closed"


def test_bad_rows_are_reported_with_line_numbers_and_skipped(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "name,latitude,longitude,address\n"
        "Good Hospital,-6.2,106.8,Jl. Satu\n"          # line 2
        "No Coordinates,,106.8,Jl. Dua\n"               # line 3
        ",-6.1,106.7,nameless\n"                        # line 4
        "Too North,91,106.8,\n"                         # line 5
        "Too East,-6.2,180.5,\n"                        # line 6
        "Words,abc,def,\n"                              # line 7
        '"Multi-line, Address",-6.3,106.9,"Jl. Tiga\nBlok B"\n'  # lines 8-9
        "Null Island,0,0,\n"                            # line 10
        "Last Good,-6.4,106.95,\n",                     # line 11
        encoding="utf-8",
    )
    out, err = run_import(bad)
    assert "3 created, 0 updated, 0 unchanged, 6 skipped" in out
    assert "line 3: coordinates are not numbers" in err
    assert "line 4: the name is empty" in err
    assert "line 5: latitude 91.0 is outside [-90, 90]" in err
    assert "line 6: longitude 180.5 is outside [-180, 180]" in err
    assert "line 7: coordinates are not numbers" in err
    assert "line 10: coordinates 0, 0 are a placeholder" in err
    assert set(Hospital.objects.values_list("name", flat=True)) == {
        "Good Hospital", "Multi-line, Address", "Last Good"}


def test_semicolon_csv_with_other_column_names(tmp_path):
    sheet = tmp_path / "puskesmas.csv"
    sheet.write_text(
        "Nama;Lat;Lng;Alamat;Kota;Provinsi;Telepon;Status;Beds\n"
        "RSUD Contoh;-7,5;110,8;Jl. Satu;Solo;Jawa Tengah;0271 123;open;40\n"   # decimal commas
        "RS Lama;-7.56;110.82;;Solo;Jawa Tengah;;tutup;\n"
        "RS Rusak;-7,5,1;110.8;;;;;;\n",
        encoding="utf-8",
    )
    out, err = run_import(sheet, "--country", "Indonesia")
    assert "(generic, source 'puskesmas'): 2 created" in out and "1 skipped" in out
    assert "line 4: coordinates are not numbers" in err
    contoh = Hospital.objects.get(name="RSUD Contoh")
    assert (contoh.latitude, contoh.longitude, contoh.beds, contoh.phone) == (-7.5, 110.8, 40, "0271 123")
    lama = Hospital.objects.get(name="RS Lama")
    assert (lama.city, lama.region, lama.country, lama.status) == ("Solo", "Jawa Tengah", "Indonesia", "closed")


def test_a_file_that_fails_midway_is_not_half_imported(tmp_path):
    broken = tmp_path / "broken.csv"
    good_rows = "".join(f"Hospital {i},-6.{i},106.{i}\n" for i in range(1, 6))
    broken.write_bytes(b"name,latitude,longitude\n" + good_rows.encode() + b"Caf\xe9 Hospital,-6.9,106.9\n")
    with pytest.raises(CommandError, match="1 of 1 file"):
        run_import(broken)
    assert Hospital.objects.count() == 0
    with pytest.raises(ImportFormatError, match="line 7: the file is not valid UTF-8"):
        parse_file(broken)


def test_one_bad_file_does_not_stop_the_others(hospitals_dir, tmp_path):
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("foo,bar\n1,2\n", encoding="utf-8")
    out = StringIO()
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_hospitals", str(unknown), str(hospitals_dir / ID_FILE), stdout=out, stderr=err)
    assert "unrecognised layout" in err.getvalue()
    assert Hospital.objects.count() == 128


def test_a_forced_format_that_does_not_fit_is_a_file_error(hospitals_dir):
    with pytest.raises(ImportFormatError, match="missing HIFLD column"):
        parse_file(hospitals_dir / ID_FILE, fmt="hifld")
    parsed = parse_file(hospitals_dir / US_FILE, fmt="generic", source="us")
    assert len(parsed.records) == 7581 and parsed.problems == []


def test_if_empty_skips_when_hospitals_exist(hospitals_dir):
    run_import(hospitals_dir / ID_FILE)
    out, _ = run_import("--if-empty", hospitals_dir / US_FILE)
    assert "128 hospitals already stored: nothing imported" in out
    assert Hospital.objects.count() == 128


def test_geojson_points_and_polygons(tmp_path):
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": "node/1",
             "properties": {"name": "RS Point", "amenity": "hospital", "addr:street": "Jl. Sudirman",
                            "addr:housenumber": "5", "addr:city": "Jakarta", "phone": "+62 21 123",
                            "beds": "120"},
             "geometry": {"type": "Point", "coordinates": [106.8, -6.2]}},
            {"type": "Feature",
             "properties": {"@id": "way/2", "name": "RS Polygon", "healthcare": "hospital"},
             "geometry": {"type": "Polygon", "coordinates": [[[106.0, -6.0], [106.2, -6.0], [106.2, -6.2],
                                                              [106.0, -6.2], [106.0, -6.0]]]}},
            {"type": "Feature", "properties": {"name": "No Geometry"}, "geometry": None},
            {"type": "Feature", "properties": {"amenity": "hospital"},
             "geometry": {"type": "Point", "coordinates": [100.0, 1.0]}},
            {"type": "Feature", "properties": {"@id": "node/5", "name": "Old", "disused:amenity": "hospital"},
             "geometry": {"type": "Point", "coordinates": [107.0, -6.5]}},
        ],
    }
    path = tmp_path / "export.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    out, err = run_import(path)
    assert "(osm, source 'osm'): 3 created, 0 updated, 0 unchanged, 2 skipped" in out
    assert "feature 3: the feature has no geometry" in err
    assert "feature 4: the name is empty" in err
    point = Hospital.objects.get(external_id="node/1")
    assert (point.latitude, point.longitude) == (-6.2, 106.8)
    assert point.address == "Jl. Sudirman 5" and point.city == "Jakarta" and point.beds == 120
    polygon = Hospital.objects.get(external_id="way/2")
    assert polygon.latitude == pytest.approx(-6.1) and polygon.longitude == pytest.approx(106.1)
    assert polygon.type == "hospital"
    assert Hospital.objects.get(external_id="node/5").status == "closed"


def test_overpass_json_nodes_and_ways_with_centres(tmp_path):
    overpass = {
        "version": 0.6,
        "elements": [
            {"type": "node", "id": 11, "lat": -7.25, "lon": 112.75,
             "tags": {"amenity": "hospital", "name": "RSUD Dr. Soetomo", "addr:city": "Surabaya"}},
            {"type": "way", "id": 22, "center": {"lat": -6.9, "lon": 107.6},
             "tags": {"amenity": "hospital", "name": "RSUP Hasan Sadikin"}},
            {"type": "way", "id": 33, "tags": {"amenity": "hospital", "name": "No centre"}},
            {"type": "node", "id": 44, "lat": 95, "lon": 10, "tags": {"name": "Broken"}},
        ],
    }
    path = tmp_path / "overpass.json"
    path.write_text(json.dumps(overpass), encoding="utf-8")
    out, err = run_import(path)
    assert "2 created" in out and "2 skipped" in out
    assert "element 3: no coordinates" in err
    assert "element 4: latitude 95.0 is outside" in err
    assert Hospital.objects.get(external_id="node/11").city == "Surabaya"
    assert Hospital.objects.get(external_id="way/22").latitude == -6.9
    # Same export again: updates nothing, duplicates nothing.
    out, _ = run_import(path)
    assert "0 created, 0 updated, 2 unchanged" in out


def test_invalid_json_is_a_file_error(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"elements": [\n{"type": "node",\n', encoding="utf-8")
    with pytest.raises(ImportFormatError, match="not valid JSON"):
        parse_file(path)


def test_the_import_reports_rows_whose_position_does_not_fit_their_place(hospitals_dir):
    out, err = run_import(hospitals_dir / ID_FILE)
    assert "128 created" in out and err == ""
    assert f"{ID_FILE}: 8 rows flagged" in out
    # Jakarta Utara's infectious-disease hospital: its latitude lost its minus sign.
    assert "flagged line 21 (RS PENYAKIT INFEKSI PROF. DR. SULIANTI SAROSO)" in out
    # In Serang, 53 km from Tangerang, with the address of a hospital in Aceh.
    assert "flagged line 9 (RS UMUM DAERAH DR. DRAJAT PRAWIRANEGARA): coordinates 53 km from TANGERANG" in out
    assert Hospital.objects.exclude(location_flags=[]).count() == 8
    us_out, _ = run_import(hospitals_dir / US_FILE)
    assert f"{US_FILE}: 19 rows flagged" in us_out
    assert "(MEMORIAL HERMANN MEMORIAL CITY MEDICAL CENTER): coordinates 187 km from GONZALES" in us_out


@pytest.mark.parametrize(("phone", "expected"), [
    # The Indonesian list's Jayapura and Merauke rows: the extension is not part of the number.
    ("(0967) 533616 EXT. 533781", [("(0967) 533616 EXT. 533781", "tel:0967533616")]),
    ("(0971) 321124 EXT. 321125", [("(0971) 321124 EXT. 321125", "tel:0971321124")]),
    ("(312) 555-0100 ext 12", [("(312) 555-0100 ext 12", "tel:3125550100")]),
    ("(312) 555-0100 x12", [("(312) 555-0100 x12", "tel:3125550100")]),
    ("(021) 5501234 psw. 204 / (021) 5509999",
     [("(021) 5501234 psw. 204", "tel:0215501234"), ("(021) 5509999", "tel:0215509999")]),
    ("+62 21 1500135", [("+62 21 1500135", "tel:+62211500135")]),
])
def test_a_phone_extension_is_shown_but_not_dialled(phone, expected):
    assert Hospital(name="RS", latitude=0, longitude=0, phone=phone).phone_numbers() == expected


def test_the_jayapura_row_dials_its_number_only(hospitals_dir):
    run_import(hospitals_dir / ID_FILE)
    assert Hospital.objects.get(name="RS UMUM JAYAPURA").phone_numbers() == [
        ("(0967) 533616 EXT. 533781", "tel:0967533616")]


# --- a corrected file without ids: its rows are updated, not duplicated ---------------------------

def test_a_corrected_position_updates_the_row_of_a_file_without_ids(hospitals_dir, tmp_path):
    # The Indonesian list has no id column. RSUP SANGLAH's latitude moves by about 100 m.
    run_import(hospitals_dir / ID_FILE)
    sanglah = Hospital.objects.get(name="RSUP SANGLAH")
    text = (hospitals_dir / ID_FILE).read_text(encoding="utf-8")
    old_lat = f"{sanglah.latitude:.7f}".rstrip("0")
    assert text.count(old_lat) == 1
    corrected = tmp_path / ID_FILE  # same file name: same source
    corrected.write_text(text.replace(old_lat, f"{sanglah.latitude - 0.0009:.7f}"), encoding="utf-8")
    out, _ = run_import(corrected)
    assert "0 created, 1 updated, 127 unchanged" in out
    assert Hospital.objects.count() == 128
    moved = Hospital.objects.get(name="RSUP SANGLAH")
    assert moved.id == sanglah.id and moved.latitude == pytest.approx(sanglah.latitude - 0.0009)
    assert f"{ID_FILE}: 1 row moved" in out
    assert "moved line 4 (RSUP SANGLAH): 0.1 km" in out
    # Imported again: nothing left to change.
    out, _ = run_import(corrected)
    assert "0 created, 0 updated, 128 unchanged" in out and "moved" not in out


def test_rows_sharing_a_name_city_and_region_are_told_apart_by_position(tmp_path):
    clinics = tmp_path / "clinics.csv"
    header = "name,latitude,longitude,city,province\n"
    clinics.write_text(header + "RS Satu,-6.20,106.80,Jakarta,DKI Jakarta\n"
                                "RS Dua,-6.30,106.90,Jakarta,DKI Jakarta\n"
                                "RS Dua,-6.35,106.95,Jakarta,DKI Jakarta\n", encoding="utf-8")
    run_import(clinics)
    # One RS Dua stays where it was: the one that moved can only be the other.
    clinics.write_text(header + "RS Satu,-6.201,106.80,Jakarta,DKI Jakarta\n"
                                "RS Dua,-6.301,106.90,Jakarta,DKI Jakarta\n"
                                "RS Dua,-6.35,106.95,Jakarta,DKI Jakarta\n"
                                "RS Tiga,-6.40,106.70,Bogor,Jawa Barat\n", encoding="utf-8")
    out, _ = run_import(clinics)
    assert "1 created, 2 updated, 1 unchanged" in out and "clinics.csv: 2 rows moved" in out
    assert sorted(Hospital.objects.filter(name="RS Dua").values_list("latitude", flat=True)) == [-6.35, -6.301]
    # Both RS Dua moved: which is which is not guessed. They are added, the stored ones kept (a
    # partial export must not delete), and the report says so.
    clinics.write_text(header + "RS Satu,-6.201,106.80,Jakarta,DKI Jakarta\n"
                                "RS Dua,-6.302,106.90,Jakarta,DKI Jakarta\n"
                                "RS Dua,-6.352,106.95,Jakarta,DKI Jakarta\n"
                                "RS Tiga,-6.40,106.70,Bogor,Jawa Barat\n", encoding="utf-8")
    out, _ = run_import(clinics)
    assert "2 created, 0 updated, 2 unchanged" in out and "moved" not in out
    assert Hospital.objects.filter(name="RS Dua").count() == 4
    assert "clinics.csv: 2 stored rows of source 'clinics' are not in this file (kept)" in out


def test_a_source_id_is_kept_when_a_row_moves(tmp_path):
    sheet = tmp_path / "with_ids.csv"
    sheet.write_text("id,name,latitude,longitude\nA1,RS Satu,-6.20,106.80\n", encoding="utf-8")
    run_import(sheet)
    sheet.write_text("id,name,latitude,longitude\nA1,RS Satu,-6.21,106.80\n", encoding="utf-8")
    out, _ = run_import(sheet)
    assert "0 created, 1 updated" in out and "moved line 2 (RS Satu): 1.1 km" in out
    assert Hospital.objects.get().external_id == "A1"


def test_the_command_promises_what_a_reimport_does():
    from webapp.hospitals.management.commands.import_hospitals import Command

    help_text = " ".join(Command.help.split())
    assert "by name, city and region" in help_text
