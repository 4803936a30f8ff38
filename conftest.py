"""The one conftest of the project: fixtures shared by the library's tests (tests/) and the web
apps' tests (webapp/tests/, webapp/<app>/tests/). It sits at the repository root because pytest
applies a conftest only to its own folder and those below it.

- Data: the real data in ../shared, a private media folder per test, a headless Chromium.
- Models: the served model (`model_dir`, `served_model_dir`), a tiny *trained* and exported
  run (`trained_run`, `tiny_model_dir`) and an untrained ONNX stub with the exported interface
  (`stub_model_dir`) for tests of the serving stack rather than of accuracy.
- Accounts: `make_user`, `patient`, `doctor` and their clients; `alice`, `bob` and theirs (with
  `make_reading`); `superuser` and its clients for the admin site. Doctors made here are
  verified (doctor rights); a pending one is `make_user(role="doctor", doctor_verified_at=None)`.
  Passwords are hashed with MD5 in web tests (`fast_password_hashing`).
- Browser: `chromium_browser`, `page`, and `open_signed_in_page` (a page of any app, signed in
  as a user, at a viewport and in a language).

Data lives beside the project (never copied into it); tests that need it skip with a visible
reason where it is absent. Helper modules (plain functions, no fixtures) live in tests/support/
and webapp/tests/support/ and are imported by package path.
"""
from __future__ import annotations

import csv
import functools
import itertools
import os
import threading
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.support.tiny_model import build_tiny_model

REPO_DIR = Path(__file__).resolve().parent
WEBAPP_DIR = REPO_DIR / "webapp"
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


# What reaches the database in a test: pytest-django's mark, or one of these fixtures.
DATABASE_FIXTURES = frozenset({"db", "transactional_db", "django_db_reset_sequences",
                               "django_db_serialized_rollback", "live_server", "admin_user",
                               "admin_client", "django_user_model"})


def pytest_addoption(parser):
    parser.addoption("--database-tests-only", action="store_true",
                     help="run only the tests that reach the database (the PostgreSQL pass of "
                          "`make test`): a test without pytest-django's database access, or "
                          "a test whose own processes use a database of their own, checks "
                          "nothing there that the SQLite pass has not")


def reaches_the_database(item) -> bool:
    """Whether a test can touch the database the test run was given (DATABASE_URL): it has
    pytest-django's database access, or it is marked `database_url` (it starts a process that
    reads DATABASE_URL). Tests that start a manage.py or gunicorn of their own on a fresh SQLite
    file (the worker-crash and deployment tests) do not."""
    return (item.get_closest_marker("django_db") is not None
            or item.get_closest_marker("database_url") is not None
            or bool(DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))))


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--database-tests-only"):
        return
    kept = [item for item in items if reaches_the_database(item)]
    config.hook.pytest_deselected(items=[item for item in items if not reaches_the_database(item)])
    items[:] = kept


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
def full_size_xray(cxr_dir):
    """make(kind, n=0) -> (source, bytes): a full-size copy of the n-th of the first real X-ray of
    each class (covid, pneumonia, normal), `kind` one of cxr.data.fullsize's (2,000 px PNG, 3,000
    px DICOM, "dicom-64mib"). A fixture, so that the web app's tests, which import only the
    serving side of cxr (tests/test_import_rules.py), get them too."""
    from cxr.data import fullsize

    sources = fullsize.source_images(cxr_dir, 1)

    def make(kind: str, n: int = 0) -> tuple[Path, bytes]:
        return sources[n], fullsize.make(kind, sources[n])

    return make


@pytest.fixture(scope="session", autouse=True)
def data_dir_of_this_run(tmp_path_factory) -> Path:
    """DATA_DIR, PRIVATE_MEDIA_ROOT and the local mail folder of this test process, instead of
    the checkout's var/: tests must not write into a developer's own site, and the two pytest
    processes of `make test` (-n 2) must not share export slots or stored files. Tests that need
    a folder of their own still set one (`media_root`, `settings.DATA_DIR = tmp_path`)."""
    from django.conf import settings

    data = tmp_path_factory.mktemp("data")
    private = data / "private"
    private.mkdir(mode=0o700)
    settings.DATA_DIR, settings.PRIVATE_MEDIA_ROOT, settings.EMAIL_FILE_PATH = data, private, data / "sent-emails"
    return data


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


@pytest.fixture(scope="session")
def chromium_with_touch_events(chromium_browser):
    """A second Chromium whose pages have touch events without touch emulation: its main pointer
    stays fine, as on a laptop whose screen also takes touches (`chromium_browser` first: it
    skips where Chromium is missing, and its Playwright, the only one a thread may run, starts it)."""
    browser = chromium_browser.browser_type.launch(executable_path=CHROMIUM, headless=True,
                                                   args=[*CHROMIUM_ARGS, "--touch-events=enabled"])
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def live_server(live_server):
    """pytest-django's live server, reading one request at a time. Its threads share the test's
    one in-memory SQLite connection, and two requests at once (a page's X-ray and heat map, each
    recording an audit event) failed now and then with "database table is locked", a 500 in the
    browser, more often on a loaded machine. Each request still gets its thread, so an idle
    keep-alive connection blocks nobody; only the app's work is taken in turn."""
    server = live_server.thread.httpd
    app, lock = server.get_app(), threading.Lock()

    def one_at_a_time(environ, start_response):
        with lock:
            return app(environ, start_response)

    server.set_app(one_at_a_time)
    return live_server


@pytest.fixture
def page(chromium_browser, test_output):
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def open_signed_in_page(chromium_browser, live_server):
    """open_signed_in_page(user, path, viewport, language="en", ignored_statuses=frozenset(),
    **context options) -> a page of a browser signed in as `user` (`signed_in_context`: no login
    form), in `language`'s locale, opened at `path` with 20 s timeouts; `page.errors` collects
    its errors (`record_page_errors`, but for `ignored_statuses`). Every context opened is
    closed after the test."""
    from webapp.tests.support.browser_helpers import (
        BROWSER_LOCALES,
        record_page_errors,
        signed_in_context,
    )

    with ExitStack() as contexts:

        def open_(user, path, viewport, language="en", ignored_statuses=frozenset(), **options):
            context = contexts.enter_context(signed_in_context(
                chromium_browser, live_server.url, user, viewport=viewport,
                locale=BROWSER_LOCALES[language], **options))
            page = context.new_page()
            page.set_default_timeout(20_000)
            page.errors = record_page_errors(page, ignored_statuses)
            page.goto(f"{live_server.url}{path}")
            return page

        yield open_


@pytest.fixture
def model_dir(settings) -> Path:
    """The model the web app serves in tests ($CXR_MODEL_DIR, else the bundled one), set in
    settings; skips with a visible reason when there is none."""
    try:
        from cxr.inference import resolve_model_dir
    except ImportError as exc:
        pytest.skip(f"cxr.inference cannot be imported: {exc}")
    model_dir = resolve_model_dir()
    if not (model_dir / "model.onnx").is_file():
        pytest.skip(f"bundled model not exported yet ({model_dir / 'model.onnx'} is missing)")
    settings.CXR_MODEL_DIR = str(model_dir)
    return model_dir


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    """A private media root of this test's own, so stored files can be counted (made, as a
    deployment's is: a save never makes it, storage.StorageMissing)."""
    root = tmp_path / "private"
    root.mkdir(mode=0o700, exist_ok=True)  # screening_settings may have made it
    settings.PRIVATE_MEDIA_ROOT = root
    return root

# --- the library's tiny trained run -------------------------------------------------------
# A tiny real split and one tiny trained run, built once per session from real images in ../shared.

TINY_PER_CLASS = {"covid": 24, "normal": 24, "pneumonia": 16}  # 64 images
TINY_SIZE = 64


def pick_per_class(index, per_class: dict[str, int]):
    """A fixed selection of rows per label, taking sources in turn so that every source appears."""
    import pandas as pd

    picked = []
    for label, n in per_class.items():
        rows = index[index["label"] == label].sort_values("path")
        by_source = [group for _, group in rows.groupby("source", sort=True)]
        order = []
        for i in range(max(len(g) for g in by_source)):
            order += [g.iloc[i] for g in by_source if i < len(g)]
        picked += order[:n]
    return pd.DataFrame(picked).reset_index(drop=True)


@pytest.fixture(scope="session")
def shared_index(cxr_dir):
    from cxr.data.index import import_shared_manifest

    return import_shared_manifest(cxr_dir)


@pytest.fixture(scope="session")
def tiny_split_csv(shared_index, tmp_path_factory):
    """A random 80/10/10 split of 64 real images (3-class task), as a split CSV file."""
    from cxr.data.index import task_frame
    from cxr.data.splits import make_split, save_split

    frame = task_frame(pick_per_class(shared_index, TINY_PER_CLASS), "3class")
    split = make_split(frame, "random", seed=0)
    return save_split(split, tmp_path_factory.mktemp("split") / "3class_random_s0.csv")


@pytest.fixture(scope="session")
def toolkit_cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def trained_run(tiny_split_csv, toolkit_cache_dir, tmp_path_factory):
    """One real 3-epoch training run (EfficientNet-Lite0 from scratch, 64 px) on the tiny split."""
    pytest.importorskip("torch")
    from cxr.training.loop import TrainConfig, train

    config = TrainConfig(
        split_csv=str(tiny_split_csv), arch="EfficientNet-Lite0", pretrained="none", lr=1e-3,
        batch_size=16, epochs=3, patience=10, img_size=TINY_SIZE, augment="none",
        out_dir=str(tmp_path_factory.mktemp("runs") / "lite0"), device="cpu", workers=1,
        cache_dir=str(toolkit_cache_dir),
    )
    return train(config, log=lambda _: None)


@pytest.fixture(scope="session")
def tiny_model_dir(trained_run, toolkit_cache_dir, cxr_dir, tmp_path_factory):
    """The tiny run exported with `cxr export` (every 8th non-X-ray image, 50 bootstraps, the
    metrics of an `evaluate` run of it added as extra metrics "again", the heat-map check on
    the shared lung masks).

    Right format and real numerics (ONNX vs PyTorch), meaningless accuracy: tests that judge
    the model's decisions use `served_model_dir` and say which model they ran on.
    """
    from cxr.data.negatives import build_negative_set
    from cxr.export.bundle import export_model
    from cxr.training.evaluate import evaluate_run

    # A real evaluation run to pass as --extra-metrics (here on the same split, named "again").
    evaluation = tmp_path_factory.mktemp("evaluation")
    evaluate_run(trained_run, out_dir=evaluation, n_boot=20, device="cpu", cache_dir=toolkit_cache_dir)
    out = tmp_path_factory.mktemp("models") / "tiny"
    card = export_model(trained_run / "best.pt", out, cache_dir=toolkit_cache_dir,
                        extra_metrics={"again": evaluation / "metrics.json"},
                        negatives=build_negative_set()[::8], n_boot=50, lung_masks_dir=cxr_dir,
                        log=lambda _: None)
    return card.parent


@pytest.fixture(scope="session")
def served_model_dir(request):
    """$CXR_TEST_MODEL_DIR, else models/bundled when installed (what users get), else the tiny
    exported model. `served_model_is_tiny` tells tests of a trained model's judgement to skip."""
    from cxr.inference.card import BUNDLED_MODEL_DIR

    if os.environ.get("CXR_TEST_MODEL_DIR"):
        return Path(os.environ["CXR_TEST_MODEL_DIR"])
    if (BUNDLED_MODEL_DIR / "model_card.json").exists():
        return BUNDLED_MODEL_DIR
    return request.getfixturevalue("tiny_model_dir")


@pytest.fixture(scope="session")
def served_model_is_tiny(served_model_dir) -> bool:
    from cxr.inference.card import BUNDLED_MODEL_DIR

    return not os.environ.get("CXR_TEST_MODEL_DIR") and served_model_dir != BUNDLED_MODEL_DIR

# --- accounts and logged-in clients -------------------------------------------------------

USER_PASSWORD = "correct-horse-battery-41"

_serial = itertools.count(1)


def _now():
    from django.utils import timezone

    return timezone.now()


@pytest.fixture(autouse=True)
def fast_password_hashing(request):
    """Django's MD5 hasher in the web apps' tests (everything under webapp/): PBKDF2 costs
    ~0.4 s a hash and accounts are made in nearly every test. A test that checks the project's
    real hashing asks for `real_password_hashers`. The library's tests never touch settings."""
    if "real_password_hashers" in request.fixturenames:
        return
    if WEBAPP_DIR not in Path(request.node.path).parents:
        return
    settings = request.getfixturevalue("settings")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def real_password_hashers(settings):
    """The hashers from settings.py, untouched (see fast_password_hashing)."""
    return settings.PASSWORD_HASHERS


@pytest.fixture
def user_password() -> str:
    """The password of every account made by `make_user`, `patient` and `doctor`."""
    return USER_PASSWORD


@pytest.fixture
def make_user(db):
    """Factory: make_user(email=None, password=USER_PASSWORD, full_name=None, role="patient").
    A doctor is verified unless `doctor_verified_at=None` is passed (a pending doctor)."""
    from webapp.accounts.models import User

    def make(email=None, password=USER_PASSWORD, full_name=None, role="patient", **extra):
        number = next(_serial)
        if role == "doctor":  # a verified doctor unless told doctor_verified_at=None (pending)
            extra.setdefault("doctor_verified_at", _now())
        return User.objects.create_user(
            email=email or f"{role}{number}@example.org",
            password=password,
            full_name=full_name or f"Test {role.title()} {number}",
            role=role,
            **extra,
        )

    return make


@pytest.fixture
def patient(make_user):
    return make_user(email="patient@example.org", full_name="Ana Patient", role="patient")


@pytest.fixture
def doctor(make_user):
    return make_user(email="doctor@example.org", full_name="Budi Doctor", role="doctor")


@pytest.fixture
def patient_client(client, patient):
    """pytest-django's `client` (the same object), logged in as `patient`."""
    client.force_login(patient)
    return client


@pytest.fixture
def doctor_client(db, doctor):
    """A second, independent test client logged in as `doctor` (usable beside patient_client)."""
    from django.test import Client

    other = Client()
    other.force_login(doctor)
    return other


@pytest.fixture
def superuser(django_user_model, user_password):
    """The administrator of the admin-site tests: a superuser, admin@example.org, full name
    "Admin", password `user_password` (pytest-django's `admin_user` is admin@example.com)."""
    return django_user_model.objects.create_superuser("admin@example.org", user_password,
                                                      full_name="Admin")


@pytest.fixture
def superuser_client(superuser, user_password):
    """A test Client signed in as `superuser`; `client.admin` is the account and
    `client.password` its password (for the pages that ask for it again)."""
    from django.test import Client

    client = Client()
    client.force_login(superuser)
    client.admin, client.password = superuser, user_password
    return client


@pytest.fixture
def superuser_client_in(superuser):
    """superuser_client_in(language) -> a new test Client signed in as `superuser` whose
    django_language cookie asks for `language`: the admin site in that language."""
    from django.test import Client

    def make(language: str):
        client = Client()
        client.force_login(superuser)
        client.cookies["django_language"] = language
        return client

    return make

# --- two accounts, a stub model and stored readings ---------------------------------------

ACCOUNT_PASSWORD = "quartz-lagoon-violet-73"  # passes Django's password validators


@pytest.fixture(scope="session")
def stub_model_dir(tmp_path_factory, xray_paths):
    """An untrained ONNX model with the exported interface (tests/support/tiny_model.py): a
    model directory (model.onnx, model_card.json, ood.npz) the real Predictor loads, built in
    milliseconds, its OOD threshold fitted on real X-rays. For the serving stack, not accuracy."""
    folder = tmp_path_factory.mktemp("stub-model")
    calibration = [p for paths in xray_paths.values() for p in paths[:4]]
    return build_tiny_model(folder, calibration)


@pytest.fixture
def screening_settings(settings, tmp_path, stub_model_dir):
    """Private media in a fresh temp folder and the stub model as the served model."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.PRIVATE_MEDIA_ROOT.mkdir(mode=0o700, exist_ok=True)
    settings.CXR_MODEL_DIR = str(stub_model_dir)  # loaded once, then shared like in production
    return settings


@pytest.fixture
def make_account(db):
    from webapp.accounts.models import User

    def make(email: str, role: str = "patient"):
        return User.objects.create_user(email=email, password=ACCOUNT_PASSWORD,
                                        full_name=email.split("@")[0].title(), role=role,
                                        doctor_verified_at=_now() if role == "doctor" else None)

    return make


@pytest.fixture
def alice(make_account):
    return make_account("alice@example.org", role="doctor")


@pytest.fixture
def bob(make_account):
    return make_account("bob@example.org")


@pytest.fixture
def alice_client(alice):
    from django.test import Client

    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob):
    from django.test import Client

    client = Client()
    client.force_login(bob)
    return client


@functools.cache
def _prediction(model_dir: str, image: str):
    from cxr.inference import Predictor

    return Predictor.load(model_dir, threads=1).predict(Path(image).read_bytes())


@pytest.fixture
def make_reading(screening_settings, stub_model_dir):
    """make_reading(owner, image_path) -> a stored Reading (files + row), as an upload makes it.

    The stub model's prediction of each image is computed once per session."""
    from webapp.screening import storage

    def make(owner, image_path: Path):
        prediction = _prediction(str(stub_model_dir), str(image_path))
        assert not prediction.rejected, prediction.reason
        return storage.create_reading(owner, prediction)

    return make
