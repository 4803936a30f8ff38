"""The package layout of docs/architecture.md, enforced: who may import whom, and no torch in serving.

Read from the source with `ast`, every import counts, also those inside functions: a lazy import
is still a dependency, and a lazy cycle is still a cycle a newcomer has to untangle.
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


def _python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (REPO / folder).rglob("*.py")
                  if ".venv" not in p.parts)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of every module `path` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path).split(".")
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
    return names


def _cxr_part(name: str) -> str | None:
    """'cxr.training.loop' -> 'training'; 'cxr' itself or not cxr -> None."""
    parts = name.split(".")
    return parts[1] if parts[0] == "cxr" and len(parts) > 1 else None


def _cxr_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in _python_files("cxr")}


def test_torch_is_imported_only_where_training_lives():
    offenders = []
    for path in _python_files("cxr", "webapp", "tests", "studies", "bench"):
        rel = path.relative_to(REPO).as_posix()
        if rel.startswith(TORCH_ALLOWED):
            continue
        found = {n.split(".")[0] for n in _imports(path)} & TORCH_PACKAGES
        if found:
            offenders.append(f"{rel}: {sorted(found)}")
    assert not offenders, "torch outside training/export/studies/bench:\n" + "\n".join(offenders)


def test_cxr_subpackages_import_only_the_layers_below_them():
    offenders = []
    for module, path in _cxr_modules().items():
        own = _cxr_part(module)
        if own is None or own in ("__main__",):
            continue
        allowed = LAYERS.get(own)
        assert allowed is not None, f"{module}: a new part of cxr needs a row in LAYERS and docs"
        for name in _imports(path):
            target = _cxr_part(name)
            if target and target != own and target not in allowed:
                offenders.append(f"{module} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_no_import_cycles_inside_cxr():
    modules = _cxr_modules()
    graph = {m: set() for m in modules}
    for module, path in modules.items():
        for name in _imports(path):
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
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_webapp_uses_only_the_inference_side_of_cxr():
    offenders = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in _python_files("webapp") for name in _imports(path)
        if _cxr_part(name) and _cxr_part(name) not in WEBAPP_MAY_IMPORT
    ]
    assert not offenders, "\n".join(offenders)


def test_studies_and_bench_import_cxr_but_not_each_other_or_tests():
    """Studies build on the library alone; benchmarks time the library and (bench/web.py,
    bench/hospitals.py) the web app, so bench may import webapp too; neither imports tests."""
    offenders = []
    for path in _python_files("studies", "bench"):
        own_study = path.relative_to(REPO).parts[:2]
        forbidden = ("tests", "scripts", "bench") + (("webapp",) if own_study[0] == "studies" else ())
        for name in _imports(path):
            top = name.split(".")[0]
            if top in forbidden:
                offenders.append(f"{path.relative_to(REPO)} imports {name}")
            if top == "studies" and tuple(name.split(".")[:2]) != own_study:
                offenders.append(f"{path.relative_to(REPO)} imports another study: {name}")
    assert not offenders, "\n".join(offenders)


def test_no_sys_path_edits_anywhere():
    offenders = []
    for path in _python_files("cxr", "webapp", "tests", "studies", "bench") + [REPO / "conftest.py"]:
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
