"""One folder or file, one option name in every command: `predict` and `validate-site` took the
model folder as `--model` while `trust` and `lung-field` call it `--model-dir`, and `data cache`
took `--split`/`--size` where `train`, `evaluate` and `sweep` take `--split-csv`/`--img-size`.
A command line copied from one command to another stopped at "unrecognized arguments". The old
names stay (docs and scripts use them); the other commands' names are accepted beside them."""
from __future__ import annotations

import json

import pytest

from cxr.cli import build_parser, main


@pytest.mark.parametrize("argv, option, expected", [
    (["predict", "--model-dir", "m", "x.png"], "model", "m"),
    (["validate-site", "folder", "--labels", "l.csv", "--model-dir", "m"], "model", "m"),
    (["data", "cache", "--split-csv", "s.csv"], "split", "s.csv"),
    (["data", "cache", "--split", "s.csv", "--img-size", "96"], "size", 96),
])
def test_the_other_commands_name_is_accepted(argv, option, expected):
    value = getattr(build_parser().parse_args(argv), option)
    assert str(value) == str(expected)


def test_predict_reads_the_same_with_either_name(served_model_dir, xray_paths, capsys):
    image = str(xray_paths["normal"][0])
    lines = []
    for name in ("--model", "--model-dir"):
        assert main(["predict", name, str(served_model_dir), image, "--json"]) == 0
        lines.append(json.loads(capsys.readouterr().out))
    assert lines[0] == lines[1]


def test_data_cache_writes_the_same_cache_with_either_names(xray_paths, tmp_path):
    split = tmp_path / "split.csv"
    split.write_text("path,label,source,patient_id,origin,y,subset\n"
                     + "".join(f"{p},normal,s,,o,2,train\n" for p in xray_paths["normal"][:2]))
    caches = []
    for names in (("--split", "--size"), ("--split-csv", "--img-size")):
        cache = tmp_path / names[0].strip("-")
        assert main(["data", "cache", names[0], str(split), names[1], "32", "--cache-dir", str(cache)]) == 0
        caches.append(sorted(path.relative_to(cache) for path in cache.rglob("*") if path.is_file()))
    assert caches[0] == caches[1] and caches[0]
