"""The package layout of docs/architecture.md, enforced: who may import whom, and no torch in serving.

Read from the source with `ast`, every import counts, also those inside functions: a lazy import
is still a dependency, and a lazy cycle is still a cycle a newcomer has to untangle. So do modules
named by a string constant: `importlib.import_module("x")`, `__import__("x")` and
`pytest.importorskip("x")` load them as surely as `import x` does (a name built at run time, an
f-string, cannot be read and is not checked).

Each rule is a function of the tree's root, so the tests below also run it on a tiny tree with a
file that breaks it, and see it reported.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TORCH_PACKAGES = {"torch", "torchvision", "timm"}
# Where torch may be imported (source folders, relative to the repository).
TORCH_ALLOWED = ("cxr/training/", "cxr/export/", "studies/", "bench/",
                 "tests/training/", "tests/export/")
# Single files elsewhere that load torch, each on purpose: tests of the commands that train or
# export (they skip without torch, by pytest.importorskip), and the shared fixtures that train a
# tiny model for them.
TORCH_ALLOWED_FILES = {
    "conftest.py",  # trained_run: one real training run for the export and CLI tests
    "tests/cli/conftest.py",  # oos_dir: tiny models trained with a source group left out
    "tests/cli/test_commands_raise_their_errors.py",
    "tests/cli/test_lung_field_cli.py",
    "tests/cli/test_train_export.py",
    "tests/cli/test_train_into_a_finished_run.py",
    "tests/cli/test_train_options.py",
    "tests/cli/test_training_commands_refuse_early.py",
    "tests/cli/test_trust.py",
}
# Calls that import the module their first argument names (as attributes, e.g.
# importlib.import_module, or as bare names after `from importlib import import_module`).
STRING_IMPORTERS = {"import_module", "__import__", "importorskip"}
# cxr's subpackages (and its three shared modules), and what each may import from cxr.
SHARED = {"labels", "preprocess", "files"}
LAYERS: dict[str, set[str]] = {
    "labels": set(),
    "preprocess": set(),
    "files": set(),
    "inference": SHARED,
    "data": SHARED | {"inference"},
    "evaluation": SHARED | {"inference", "data"},
    "training": SHARED | {"inference", "data", "evaluation"},
    "export": SHARED | {"inference", "data", "evaluation", "training"},
    "cli": SHARED | {"inference", "data", "evaluation", "training", "export"},
}
WEBAPP_MAY_IMPORT = {"inference", "labels", "files"}


def _python_files(root: Path, *folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (root / folder).rglob("*.py")
                  if ".venv" not in p.parts)


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, root: Path) -> set[str]:
    """Absolute names of every module `path` imports (relative imports resolved), by statement
    or by a string constant given to one of STRING_IMPORTERS."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and (name := _string_import(node)):
            names.add(name)
    return names


def _string_import(call: ast.Call) -> str | None:
    """The module a call such as importlib.import_module("x") loads, when named by a constant."""
    function = call.func
    called = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
    if called not in STRING_IMPORTERS or not call.args:
        return None
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and not first.value.startswith("."):
        return first.value
    return None


def _cxr_part(name: str) -> str | None:
    """'cxr.training.loop' -> 'training'; 'cxr' itself or not cxr -> None."""
    parts = name.split(".")
    return parts[1] if parts[0] == "cxr" and len(parts) > 1 else None


def _cxr_modules(root: Path) -> dict[str, Path]:
    return {_module_name(p, root): p for p in _python_files(root, "cxr")}


def torch_offenders(root: Path) -> list[str]:
    offenders = []
    files = _python_files(root, "cxr", "webapp", "tests", "studies", "bench")
    for path in files + [p for p in [root / "conftest.py"] if p.exists()]:
        rel = path.relative_to(root).as_posix()
        if rel.startswith(TORCH_ALLOWED) or rel in TORCH_ALLOWED_FILES:
            continue
        found = {n.split(".")[0] for n in _imports(path, root)} & TORCH_PACKAGES
        if found:
            offenders.append(f"{rel}: {sorted(found)}")
    return offenders


def layer_offenders(root: Path) -> list[str]:
    offenders = []
    for module, path in _cxr_modules(root).items():
        own = _cxr_part(module)
        if own is None or own in ("__main__",):
            continue
        allowed = LAYERS.get(own)
        assert allowed is not None, f"{module}: a new part of cxr needs a row in LAYERS and docs"
        for name in _imports(path, root):
            target = _cxr_part(name)
            if target and target != own and target not in allowed:
                offenders.append(f"{module} imports {name}")
    return offenders


def cxr_importing_webapp(root: Path) -> list[str]:
    """The library stands alone: the web app builds on it, never the reverse."""
    return [f"{path.relative_to(root)} imports {name}"
            for path in _python_files(root, "cxr") for name in _imports(path, root)
            if name.split(".")[0] == "webapp"]


def cycles_inside_cxr(root: Path) -> list[str]:
    modules = _cxr_modules(root)
    graph = {m: set() for m in modules}
    for module, path in modules.items():
        for name in _imports(path, root):
            # `from cxr.a import b` names cxr.a.b, which is a module or an attribute of cxr.a.
            target = name if name in modules else name.rpartition(".")[0]
            if target in modules and target != module and not module.startswith(target + "."):
                graph[module].add(target)
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


def webapp_offenders(root: Path) -> list[str]:
    return [
        f"{path.relative_to(root)} imports {name}"
        for path in _python_files(root, "webapp") for name in _imports(path, root)
        if _cxr_part(name) and _cxr_part(name) not in WEBAPP_MAY_IMPORT
    ]


def study_and_bench_offenders(root: Path) -> list[str]:
    offenders = []
    for path in _python_files(root, "studies", "bench"):
        own_study = path.relative_to(root).parts[:2]
        forbidden = ("tests", "scripts", "bench") + (("webapp",) if own_study[0] == "studies" else ())
        for name in _imports(path, root):
            top = name.split(".")[0]
            if top in forbidden:
                offenders.append(f"{path.relative_to(root)} imports {name}")
            if top == "studies" and tuple(name.split(".")[:2]) != own_study:
                offenders.append(f"{path.relative_to(root)} imports another study: {name}")
    return offenders


def study_or_bench_imports_of_tests(root: Path) -> list[str]:
    """The library's and the web app's tests (and the web app) stand on cxr, webapp and
    tests/support alone: a helper they share with a study or a benchmark lives in cxr
    (cxr/data/fullsize.py, format_variants.py) or in tests/support/, so that a study or a
    benchmark can change without breaking them. Only a study's own tests (tests/studies/)
    import it."""
    files = [p for p in _python_files(root, "tests", "webapp")
             if not p.relative_to(root).as_posix().startswith("tests/studies/")]
    files += [p for p in [root / "conftest.py"] if p.exists()]
    return [f"{path.relative_to(root)} imports {name}"
            for path in files for name in _imports(path, root)
            if name.split(".")[0] in ("studies", "bench")]


def test_torch_is_imported_only_where_training_lives():
    offenders = torch_offenders(REPO)
    assert not offenders, "torch outside training/export/studies/bench:\n" + "\n".join(offenders)


def test_cxr_subpackages_import_only_the_layers_below_them():
    offenders = layer_offenders(REPO)
    assert not offenders, "\n".join(offenders)


def test_cxr_imports_no_webapp():
    offenders = cxr_importing_webapp(REPO)
    assert not offenders, "\n".join(offenders)


def test_no_import_cycles_inside_cxr():
    cycles = cycles_inside_cxr(REPO)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_webapp_uses_only_the_inference_side_of_cxr():
    offenders = webapp_offenders(REPO)
    assert not offenders, "\n".join(offenders)


def test_studies_and_bench_import_cxr_but_not_each_other_or_tests():
    """Studies build on the library alone; benchmarks time the library and (bench/web.py,
    bench/hospitals.py) the web app, so bench may import webapp too; neither imports tests."""
    offenders = study_and_bench_offenders(REPO)
    assert not offenders, "\n".join(offenders)


def test_tests_of_cxr_and_webapp_import_no_study_or_bench():
    offenders = study_or_bench_imports_of_tests(REPO)
    assert not offenders, "\n".join(offenders)


def _tree(root: Path, files: dict[str, str]) -> Path:
    """A tiny project under `root`: each file with its source, and the packages' __init__.py."""
    for rel, source in files.items():
        path = root / rel
        for folder in [path.parent, *path.parent.parents]:
            if folder == root:
                break
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "__init__.py").touch()
        path.write_text(source, encoding="utf-8")
    return root


# (file, source, the rule that must report it): imports by statement and by string.
BROKEN_RULES = [
    ("cxr/inference/loads.py", "import torch\n", torch_offenders),
    ("cxr/inference/loads.py", "import importlib\nimportlib.import_module('torch.nn')\n", torch_offenders),
    ("webapp/loads.py", "def f():\n    return __import__('timm')\n", torch_offenders),
    ("tests/inference/test_loads.py", "import pytest\ntorch = pytest.importorskip('torch')\n", torch_offenders),
    ("tests/cli/test_loads.py", "import pytest\npytest.importorskip('timm')\n", torch_offenders),
    ("conftest.py", "import pytest\npytest.importorskip('torch')\n", None),  # allowed, by name
    ("cxr/inference/loads.py", "from importlib import import_module\nimport_module('cxr.training.loop')\n",
     layer_offenders),
    ("cxr/data/loads.py", "import webapp.screening\n", cxr_importing_webapp),
    ("cxr/data/loads.py", "import importlib\nimportlib.import_module('webapp.settings')\n", cxr_importing_webapp),
    ("webapp/loads.py", "import importlib\nimportlib.import_module('cxr.data.index')\n", webapp_offenders),
    ("studies/one/study.py", "__import__('studies.two.study')\n", study_and_bench_offenders),
    ("tests/inference/test_loads.py", "from bench import fullsize\n", study_or_bench_imports_of_tests),
    ("webapp/screening/tests/test_loads.py", "import importlib\nimportlib.import_module('studies.two.study')\n",
     study_or_bench_imports_of_tests),
    ("conftest.py", "def f():\n    from studies.two import study\n", study_or_bench_imports_of_tests),
]


@pytest.mark.parametrize(("rel", "source", "rule"), BROKEN_RULES)
def test_each_rule_reports_a_file_that_breaks_it(tmp_path, rel, source, rule):
    root = _tree(tmp_path, {rel: source, "studies/two/study.py": ""})
    if rule is None:
        assert not torch_offenders(root)
        return
    offenders = rule(root)
    assert offenders and rel.removesuffix(".py").replace("/", ".") in " ".join(offenders).replace("/", ".")


def test_torch_named_by_string_is_allowed_where_training_lives(tmp_path):
    root = _tree(tmp_path, {
        "tests/training/test_loads.py": "import pytest\ntorch = pytest.importorskip('torch')\n",
        "tests/cli/test_train_export.py": "import pytest\npytest.importorskip('torch')\n",
        "cxr/training/loads.py": "import importlib\nimportlib.import_module('timm')\n",
        "tests/inference/test_dicom.py": "import pytest\npytest.importorskip('pydicom')\n",
        "cxr/cli/__init__.py": "import importlib\nname = 'x'\nimportlib.import_module(f'cxr.cli.{name}')\n",
    })
    assert torch_offenders(root) == [] and layer_offenders(root) == []


def test_a_studys_own_tests_may_import_it(tmp_path):
    root = _tree(tmp_path, {"tests/studies/test_two.py": "from studies.two.study import fit\n",
                            "studies/two/study.py": ""})
    assert study_or_bench_imports_of_tests(root) == []


def test_no_sys_path_edits_anywhere():
    offenders = []
    for path in _python_files(REPO, "cxr", "webapp", "tests", "studies", "bench") + [REPO / "conftest.py"]:
        if not path.exists():
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr == "path"
                    and isinstance(node.value, ast.Name) and node.value.id == "sys"):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not offenders, "sys.path used at:\n" + "\n".join(offenders)


@pytest.mark.parametrize("entry", [
    "import cxr.inference, cxr.inference.predictor, cxr.evaluation.metrics, cxr.data.index",
    "import django; django.setup(); import webapp.urls",
])
def test_serving_side_runs_without_loading_torch(entry):
    """The same rule at run time: importing the serving side loads no torch module."""
    code = f"import sys; {entry}; print(sorted(m for m in sys.modules if m.split('.')[0] in {TORCH_PACKAGES!r}))"
    env = {"DJANGO_SETTINGS_MODULE": "webapp.settings", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout
