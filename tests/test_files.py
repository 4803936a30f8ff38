"""cxr.files.atomic_target: the whole file or none of it, and no temporary file left behind."""
from __future__ import annotations

import pytest

from cxr.files import atomic_target


def test_the_file_appears_whole_under_its_name_and_nothing_else_stays(tmp_path):
    target = tmp_path / "protocol.json"
    with atomic_target(target) as tmp:
        tmp.write_text("{}")
        assert not target.exists() and tmp.parent == tmp_path
    assert target.read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["protocol.json"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary_one(tmp_path):
    target = tmp_path / "predictions.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_target(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crashed while writing")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["predictions.csv"]


def test_two_writers_of_one_file_get_their_own_temporary_names(tmp_path):
    target = tmp_path / "weights.pth"
    with atomic_target(target) as first, atomic_target(target) as second:
        assert first != second
        first.write_text("a")
        second.write_text("b")
    assert target.read_text() == "a"  # the outer block renames last
