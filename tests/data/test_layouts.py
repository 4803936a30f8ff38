"""Importers of the Kaggle Radiography Database layout and of folder-per-class trees."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cxr.cli import main as cli_main
from cxr.data.index import INDEX_COLUMNS, read_index, task_frame
from cxr.data.layouts import import_folder_per_class, import_radiography_db


def _copy(paths: list[Path], folder: Path, stem: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, src in enumerate(paths):
        dst = folder / f"{stem}-{i + 1}{src.suffix}"
        shutil.copyfile(src, dst)
        out.append(dst.resolve())
    return out


@pytest.fixture
def radiography_db(tmp_path, xray_paths, cxr_dir):
    """A small download in the Kaggle layout, built from real X-rays.

    COVID and Normal use the v4 layout (`images/` beside `masks/`), Viral Pneumonia the older
    one (files directly in the class folder); Lung_Opacity has images and masks too.
    """
    root = tmp_path / "COVID-19_Radiography_Dataset"
    mask = cxr_dir / "lung_masks"
    mask_files = sorted(mask.rglob("*.png"))[:2]
    expected = {
        "covid": _copy(xray_paths["covid"][:3], root / "COVID" / "images", "COVID"),
        "normal": _copy(xray_paths["normal"][:4], root / "Normal" / "images", "Normal"),
        "pneumonia": _copy(xray_paths["pneumonia"][:2], root / "Viral Pneumonia", "Viral Pneumonia"),
        "lung_opacity": _copy(xray_paths["normal"][4:6], root / "Lung_Opacity" / "images", "Lung_Opacity"),
    }
    for cls in ("COVID", "Normal", "Lung_Opacity"):
        _copy(mask_files, root / cls / "masks", cls)
    (root / "COVID.metadata.xlsx").write_bytes(b"not read")
    (root / "README.md.txt").write_text("database readme")
    (root / "Viral Pneumonia" / "notes.txt").write_text("not an image")
    return root, expected


def test_radiography_db_indexes_images_and_ignores_masks(radiography_db):
    root, expected = radiography_db
    frame = import_radiography_db(root)
    assert list(frame.columns) == INDEX_COLUMNS
    assert len(frame) == sum(len(v) for v in expected.values()) == 11
    for label, paths in expected.items():
        assert sorted(frame.loc[frame["label"] == label, "path"]) == sorted(str(p) for p in paths)
    assert not frame["path"].str.contains("/masks/").any()
    assert set(frame["source"]) == {"kaggle-radiography"}
    assert (frame["patient_id"] == "").all()
    assert all(Path(p).is_absolute() and Path(p).exists() for p in frame["path"])
    # Lung opacity stays in the index but no task uses it.
    three = task_frame(frame, "3class")
    assert sorted(three["label"].unique()) == ["covid", "normal", "pneumonia"]
    assert len(three) == 9


def test_radiography_db_found_from_the_folder_above(radiography_db):
    root, _ = radiography_db
    assert import_radiography_db(root.parent).equals(import_radiography_db(root))


def test_radiography_db_rejects_other_folders(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with pytest.raises(ValueError, match="Radiography Database"):
        import_radiography_db(tmp_path)
    with pytest.raises(FileNotFoundError):
        import_radiography_db(tmp_path / "missing")


def test_folder_per_class_normalises_class_names(tmp_path, xray_paths):
    root = tmp_path / "My Hospital 2021"
    covid = _copy(xray_paths["covid"][:2], root / "COVID-19", "c")
    normal = _copy(xray_paths["normal"][:3], root / "Normal", "n")
    pneumonia = _copy(xray_paths["pneumonia"][:2], root / "Bacterial Pneumonia" / "images", "p")
    _copy(xray_paths["normal"][3:4], root / "Bacterial Pneumonia" / "masks", "m")
    other = _copy(xray_paths["normal"][4:5], root / "Tuberculosis", "t")
    (root / "Normal" / ".DS_Store").write_bytes(b"\0")
    (root / "Normal" / "list.csv").write_text("file\n")
    (root / "stray.png").write_bytes(b"")  # files beside the class folders have no class

    frame = import_folder_per_class(root)
    assert list(frame.columns) == INDEX_COLUMNS
    by_label = frame.groupby("label")["path"].apply(sorted).to_dict()
    assert by_label == {
        "covid": sorted(map(str, covid)),
        "normal": sorted(map(str, normal)),
        "pneumonia": sorted(map(str, pneumonia)),
        "tuberculosis": sorted(map(str, other)),
    }
    assert set(frame["source"]) == {"my_hospital_2021"}
    assert set(frame["origin"]) >= {"My Hospital 2021/COVID-19"}
    assert set(import_folder_per_class(root, source="rsud-jakarta")["source"]) == {"rsud-jakarta"}


def test_folder_per_class_without_images_is_an_error(tmp_path):
    (tmp_path / "covid").mkdir()
    with pytest.raises(ValueError, match="no images"):
        import_folder_per_class(tmp_path)


def test_data_import_command_writes_the_index(radiography_db, tmp_path, capsys):
    root, expected = radiography_db
    index_csv = tmp_path / "var" / "index.csv"
    assert cli_main(["data", "import", "--radiography-db", str(root), "--out", str(index_csv)]) == 0
    index = read_index(index_csv)
    assert len(index) == 11
    assert sorted(index["label"].unique()) == ["covid", "lung_opacity", "normal", "pneumonia"]
    assert "11 images indexed" in capsys.readouterr().out
