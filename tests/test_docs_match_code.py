"""What the docs and docstrings say about the code, checked against the code: the serving side's
and the evaluation package's dependencies, the engine's class name, and the evaluation package's modules."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import cxr
import cxr.evaluation
import cxr.inference

REPO = Path(__file__).resolve().parents[1]
DISTRIBUTIONS = {"PIL": "Pillow"}  # import name -> the name the docs use


def _third_party_imports(paths: list[Path]) -> set[str]:
    names = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in ("cxr", "__future__")}


def test_the_serving_sides_dependencies_are_all_named():
    light = [*(REPO / "cxr" / "inference").rglob("*.py"),
             *(REPO / "cxr" / name for name in ("labels.py", "preprocess.py", "files.py"))]
    needed = {DISTRIBUTIONS.get(n, n) for n in _third_party_imports(light)}
    assert "isal" in needed  # the display PNGs' deflate (cxr/inference/rendering.py)
    head = (REPO / "docs" / "inference.md").read_text(encoding="utf-8").split("## ", 1)[0]
    for text, where in ((cxr.__doc__, "cxr/__init__.py"), (head, "docs/inference.md"),
                        (cxr.inference.__doc__, "cxr/inference/__init__.py")):
        missing = [n for n in sorted(needed) if n.lower() not in text.lower()]
        assert not missing, f"{where} does not name {missing}"


def test_the_evaluation_packages_dependencies_are_all_named():
    names = {"PIL": "Pillow", "sklearn": "scikit-learn"}
    needed = {names.get(n, n) for n in _third_party_imports([*(REPO / "cxr" / "evaluation").glob("*.py")])}
    missing = [n for n in sorted(needed) if n.lower() not in cxr.evaluation.__doc__.lower()]
    assert not missing, f"cxr/evaluation/__init__.py does not name {missing}"


def test_no_comment_names_the_engines_old_class():
    """The engine's answer is cxr.inference.Prediction (docs/architecture.md); Reading is the web
    app's stored record."""
    offenders = [str(p.relative_to(REPO)) for folder in ("cxr", "webapp", "tests")
                 for p in (REPO / folder).rglob("*.py")
                 if "cxr.inference.Reading" in p.read_text(encoding="utf-8")
                 and p != Path(__file__).resolve()]
    assert offenders == []


def test_the_layout_table_names_every_evaluation_module():
    row = next(line for line in (REPO / "docs" / "architecture.md").read_text().splitlines()
               if line.startswith("| `cxr/evaluation/` |"))
    modules = {p.stem for p in (REPO / "cxr" / "evaluation").glob("*.py")} - {"__init__"}
    assert [m for m in sorted(modules) if f"`{m}`" not in row] == []


def test_the_codec_page_quotes_the_bundled_models_intervals_as_its_card_does():
    """docs/results/codec_augmentation.md quoted the model now bundled (8cfcc9c) with the
    stratified-bootstrap intervals of its own run, before the statistics audit moved proportions
    to Wilson intervals and named the ECE's range a bootstrap spread. Its prose now quotes the
    card's intervals, and the output block that reads the committed model (no model under var/)
    is the study's current output, with the ECE's column named as a spread."""
    import json

    text = (REPO / "docs" / "results" / "codec_augmentation.md").read_text(encoding="utf-8")
    prose = text.split("<!-- output of:", 1)[0]
    report = json.loads((REPO / "models" / "bundled" / "model_card.json").read_text())["metrics"]["patient"]

    def quoted(figure: dict) -> str:
        return f"{figure['value']:.3f} [{figure['ci95'][0]:.3f}, {figure['ci95'][1]:.3f}]"

    for figure in (report["accuracy"], report["per_class"]["covid"]["sensitivity"],
                   report["per_class"]["pneumonia"]["sensitivity"]):
        assert quoted(figure) in prose, quoted(figure)
    assert "[0.934, 0.964]" not in prose and "[0.647, 0.882]" not in prose  # the run's own
    blocks = text.split("<!-- output of: ")[1:]
    committed = [block for block in blocks if "var/" not in block.split("-->", 1)[0]]
    assert committed, "no output block reads a committed model"
    for block in committed:
        assert "| ECE (bootstrap spread) |" in block and "| ECE |" not in block
