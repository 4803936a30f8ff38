"""The import's message for a broken GeoJSON file says where it breaks, in full.

Found by an audit: "not valid JSON (Invalid control character at)", cut before its position.
"""
import pytest

from webapp.hospitals.parsers import ImportFormatError, parse_file


def test_a_broken_geojson_file_says_where(tmp_path):
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection",\n "features": ["a\tb"]}')
    with pytest.raises(ImportFormatError) as refused:
        parse_file(broken)
    assert str(refused.value) == "line 2, column 17: not valid JSON (Invalid control character)"
