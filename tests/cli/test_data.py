"""`python -m cxr data import|split|cache`: wrong options and paths are one `error:` line, files
that cannot be X-rays are named (import leaves them out; cache names each and writes nothing)."""
from __future__ import annotations

import csv

import pytest

pytest.importorskip("pandas")

from cxr.cli import main  # noqa: E402


@pytest.fixture
def class_folder(tmp_path, xray_paths):
    """<folder>/<class>/ with real X-rays, an empty file, a cut-short PNG and a text file named .png."""
    folder = tmp_path / "site"
    for label in ("covid", "normal"):
        (folder / label).mkdir(parents=True)
        for i, path in enumerate(xray_paths[label][:4]):
            (folder / label / f"{i}{path.suffix}").write_bytes(path.read_bytes())
    png = next(p for p in xray_paths["normal"] if p.suffix == ".png")
    (folder / "covid" / "empty.png").write_bytes(b"")
    (folder / "covid" / "cut.png").write_bytes(png.read_bytes()[:2000])
    (folder / "normal" / "notes.png").write_text("not an image")
    return folder


def _lines(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_import_leaves_out_and_names_files_that_cannot_be_xrays(class_folder, tmp_path, capsys):
    index = tmp_path / "index.csv"
    assert main(["data", "import", "--folder", str(class_folder), "--out", str(index)]) == 0
    err = capsys.readouterr().err
    assert "left out of the index: 3 file(s)" in err
    assert f"{class_folder / 'covid' / 'empty.png'}: empty file" in err
    assert f"{class_folder / 'covid' / 'cut.png'}: truncated PNG" in err
    assert f"{class_folder / 'normal' / 'notes.png'}: not a PNG, JPEG" in err
    assert sorted(row["path"].rsplit("/", 1)[1][0] for row in _lines(index)) == list("00112233")


@pytest.mark.parametrize("case", ["no_folder", "no_manifest", "no_class_folders"])
def test_import_of_a_wrong_path_is_one_error_line(tmp_path, capsys, case):
    (tmp_path / "empty").mkdir()
    option = {"no_folder": ["--folder", str(tmp_path / "nope")],
              "no_manifest": ["--shared", str(tmp_path / "empty")],
              "no_class_folders": ["--radiography-db", str(tmp_path / "empty")]}[case]
    assert main(["data", "import", *option, "--out", str(tmp_path / "index.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.splitlines()) == 1
    assert not (tmp_path / "index.csv").exists()


def test_split_options_that_do_not_go_together_are_usage_errors(class_folder, tmp_path, capsys):
    index = tmp_path / "index.csv"
    assert main(["data", "import", "--folder", str(class_folder), "--out", str(index)]) == 0
    capsys.readouterr()
    split = ["data", "split", "--index", str(index), "--out", str(tmp_path / "split.csv")]
    # Ignored before: a random split with holdout sources was silently an ordinary random split.
    assert main([*split, "--kind", "random", "--holdout-sources", "site"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m cxr data split") and "is for --kind source" in err
    assert main([*split, "--kind", "source"]) == 2
    assert "--kind source needs --holdout-sources" in capsys.readouterr().err
    assert main([*split, "--kind", "source", "--holdout-sources", "elsewhere"]) == 2
    assert "error: cannot make a source split" in capsys.readouterr().err
    # Eight X-rays cannot be split 80/10/10 by class: said, not a scikit-learn traceback.
    assert main([*split, "--kind", "random"]) == 2
    assert "error: cannot make a random split" in capsys.readouterr().err
    assert main(["data", "split", "--index", str(tmp_path / "none.csv")]) == 2
    assert "none.csv does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main([*split, "--seed", "-1"])
    assert exit_.value.code == 2 and "argument --seed" in capsys.readouterr().err
    assert not (tmp_path / "split.csv").exists()


@pytest.mark.parametrize("size", ["0", "-1", "100000"])
def test_cache_size_out_of_range_is_a_usage_error(tmp_path, capsys, size):
    with pytest.raises(SystemExit) as exit_:
        main(["data", "cache", "--split", str(tmp_path / "split.csv"), "--size", size])
    assert exit_.value.code == 2 and "argument --size" in capsys.readouterr().err


def test_cache_names_every_image_it_cannot_read_and_writes_nothing(xray_paths, tmp_path, capsys):
    good = [str(p) for p in xray_paths["normal"][:3]]
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    missing = tmp_path / "missing.png"
    rows = [*good[:2], str(broken), good[2], str(missing)]
    split = tmp_path / "split.csv"
    split.write_text("path,label,source,patient_id,origin,y,subset\n"
                     + "".join(f"{p},normal,s,,o,2,train\n" for p in rows))
    cache = tmp_path / "cache"
    assert main(["data", "cache", "--split", str(split), "--size", "32", "--cache-dir", str(cache)]) == 2
    err = capsys.readouterr().err
    assert f"2 image(s) of {split} cannot be read:" in err
    assert f"  {broken}: corrupt_image: " in err and f"  {missing}: unreadable_file: " in err
    assert err.rstrip().splitlines()[-1].startswith("error: no cache written")
    assert not list(cache.glob("*.npy"))
