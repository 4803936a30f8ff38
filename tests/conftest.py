"""Fixtures shared by every test: the real data in ../shared, the served model, a private media
folder per test, and a headless Chromium.

Data lives beside the project (never copied into it); tests that need it skip with a visible
reason where it is absent.
"""
from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("CXR_SHARED_DATA", REPO_DIR.parent / "shared" / "data")).resolve()
CXR_DIR = SHARED_DATA / "cxr"
HOSPITALS_DIR = SHARED_DATA / "hospitals"
TEST_OUTPUT = Path(os.environ.get("TEST_OUTPUT", REPO_DIR / "test-output"))

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        pytest.skip(f"{what} not found at {path} (set CXR_SHARED_DATA or place ../shared beside the repo)")
    return path


@pytest.fixture(scope="session")
def cxr_dir() -> Path:
    """The real chest X-ray set (../shared/data/cxr)."""
    return _require(CXR_DIR / "manifest.csv", "the shared chest X-ray set").parent


@pytest.fixture(scope="session")
def hospitals_dir() -> Path:
    return _require(HOSPITALS_DIR, "the shared hospital lists")


@pytest.fixture(scope="session")
def cxr_manifest(cxr_dir) -> list[dict]:
    with open(cxr_dir / "manifest.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def xray_paths(cxr_dir, cxr_manifest) -> dict[str, list[Path]]:
    """A few real X-ray files per class, from several sources, in a fixed order."""
    by_label: dict[str, list[Path]] = {}
    seen_sources: set[tuple[str, str]] = set()
    # First one image per (label, source), then fill up: tests see every source.
    for row in sorted(cxr_manifest, key=lambda r: r["file"]):
        key = (row["label"], row["file"].split("/")[-1].split("__")[0])
        if key not in seen_sources:
            seen_sources.add(key)
            by_label.setdefault(row["label"], []).append(cxr_dir / row["file"])
    for row in sorted(cxr_manifest, key=lambda r: r["file"]):
        paths = by_label[row["label"]]
        if len(paths) < 8 and cxr_dir / row["file"] not in paths:
            paths.append(cxr_dir / row["file"])
    return by_label


@pytest.fixture(scope="session")
def test_output() -> Path:
    """Folder for screenshots and other artefacts a person looks at after a run."""
    TEST_OUTPUT.mkdir(parents=True, exist_ok=True)
    return TEST_OUTPUT


@pytest.fixture(scope="session")
def chromium_browser():
    """Debian's Chromium driven by Playwright (never `playwright install`)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium missing at {CHROMIUM}: .ci/run must install Debian's chromium")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM (used by the test
    # itself, not the live server) refuses to run beside one unless told it is safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium_browser, test_output):
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def model_dir(settings) -> Path:
    """The model the web app serves in tests ($CXR_MODEL_DIR, else the bundled one), set in
    settings; skips with a visible reason when there is none."""
    try:
        import cxr.inference  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"cxr.inference cannot be imported: {exc}")
    model_dir = Path(os.environ.get("CXR_MODEL_DIR") or REPO_DIR / "models" / "bundled")
    if not (model_dir / "model.onnx").is_file():
        pytest.skip(f"bundled model not exported yet ({model_dir / 'model.onnx'} is missing)")
    settings.CXR_MODEL_DIR = str(model_dir)
    return model_dir


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    """A private media root of this test's own, so stored files can be counted."""
    root = tmp_path / "private"
    settings.PRIVATE_MEDIA_ROOT = root
    return root
