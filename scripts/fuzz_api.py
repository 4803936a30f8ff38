"""Fuzz the JSON API with schemathesis against gunicorn started like production (`make test`).

    .venv/bin/python scripts/fuzz_api.py [--keep]      # exit status: schemathesis's

1. A throwaway DATA_DIR with production settings (DJANGO_ENV=production, a random SECRET_KEY,
   ALLOWED_HOSTS=127.0.0.1), `migrate` and `collectstatic`, as docs/deploy.md does.
2. An account and a real API key (ApiToken.issue, with a rate limit high enough for fuzzing).
3. gunicorn started with the command line of docs/deploy.md, `--limit-request-line 0`
   included (the app answers over-long request lines with its own JSON 414).
4. Readings to follow links to in the stateful phase (the fuzzer's own uploads are random
   bytes, which are refused): one real X-ray from ../shared/data uploaded through the API, and
   SEED_READINGS more stored from the real model's reading of two others (the coverage and
   fuzzing phases delete some). Skipped, with a message, where the data is absent.
5. `schemathesis run .../api/v1/openapi.json --checks all` with schemathesis.toml (fixed seed,
   bounded examples); its exit status is this script's. A run over MAX_SECONDS fails too.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

# The test servers' loopback helpers (the project is installed, so `webapp` imports from here).
from webapp.tests.support.live_server import free_port, request

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SHARED = Path(os.environ.get("CXR_SHARED_DATA", REPO.parent / "shared" / "data"))
MAX_SECONDS = 120  # the budget of the schemathesis run itself
SEED_READINGS = 40


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=600)
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


SEED_SCRIPT = """
import os
from pathlib import Path
from webapp.accounts.models import User
from webapp.screening import storage
from webapp.screening.engine import get_predictor
owner = User.objects.get(email="fuzz@example.org")
paths = [Path(p) for p in os.environ["FUZZ_SEED_XRAYS"].split(os.pathsep)]
predictions = [get_predictor().predict(p.read_bytes()) for p in paths]
for i in range(int(os.environ["FUZZ_SEED_COUNT"])):
    storage.create_reading(owner, predictions[i % len(predictions)])
"""


def sample_xrays(limit: int = 3) -> list[Path]:
    folder = SHARED / "cxr"
    if not folder.is_dir():
        return []
    images = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    return images[:: max(1, len(images) // limit)][:limit]


def upload(port: int, key: str, path: Path) -> int:
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{path.name}"'
            f"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
    body += path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    status, _ = request(port, "POST", "/api/v1/readings/", body, {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Authorization": f"Token {key}", "X-Forwarded-Proto": "https"})
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the data folder and report")
    parser.add_argument("--report-dir", default=str(REPO / "test-output" / "fuzz-api"))
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="cxr-fuzz-"))
    env = {k: v for k, v in os.environ.items()
           if k not in ("DJANGO_DEBUG", "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "PRIVATE_MEDIA_ROOT")}
    env.update(DJANGO_ENV="production", SECRET_KEY=secrets.token_urlsafe(64),
               ALLOWED_HOSTS="127.0.0.1", DATA_DIR=str(data_dir), STATIC_ROOT=str(data_dir / "static"),
               DATABASE_URL=f"sqlite:///{data_dir / 'db.sqlite3'}", PRIVATE_MEDIA_ROOT=str(data_dir / "private"),
               LOG_LEVEL="ERROR", CXR_ORT_THREADS="1")
    # Production never makes its media folder (a share that is not mounted must stay missing):
    # it is made here, as an operator makes it.
    (data_dir / "private").mkdir(mode=0o700)
    server = None
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        # A verified doctor: the account with the API's whole surface (an upload's
        # patient_reference, a reading's patient_reference and note).
        key = manage(env, "shell", "-c", (
            "from django.utils import timezone; from webapp.accounts.models import User;"
            "from webapp.screening.models import ApiToken;"
            "u = User.objects.create_user(email='fuzz@example.org', password=None, full_name='Fuzz',"
            " role='doctor', doctor_verified_at=timezone.now());"
            " print(ApiToken.issue(u, name='fuzz', rate_limit=1_000_000)[1])"
        )).strip().splitlines()[-1]

        port = free_port()
        # docs/deploy.md's command line, with two workers for the two-core CI machine.
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "webapp.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--timeout", "120", "--max-requests", "1000",
             "--max-requests-jitter", "100", "--limit-request-line", "0"],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, start_new_session=True)
        for _ in range(300):
            try:
                if request(port, "GET", "/api/v1/openapi.json",
                           headers={"X-Forwarded-Proto": "https"})[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None:
                sys.exit("gunicorn exited at start")
            time.sleep(0.2)
        else:
            sys.exit("gunicorn did not answer within a minute")

        xrays = sample_xrays()
        if not xrays:
            print(f"fuzz-api: no X-rays under {SHARED / 'cxr'}: the stateful phase has no "
                  "readings to start from", file=sys.stderr)
        else:
            status = upload(port, key, xrays[0])
            print(f"fuzz-api: uploaded {xrays[0].name}: HTTP {status}")
            manage({**env, "FUZZ_SEED_XRAYS": os.pathsep.join(map(str, xrays[1:])),
                    "FUZZ_SEED_COUNT": str(SEED_READINGS)}, "shell", "-c", SEED_SCRIPT)
            print(f"fuzz-api: stored {SEED_READINGS} more readings of {len(xrays) - 1} X-rays")

        report_dir = Path(args.report_dir)
        shutil.rmtree(report_dir, ignore_errors=True)
        started = time.monotonic()
        result = subprocess.run(
            [str(BIN / "schemathesis"), "run", f"http://127.0.0.1:{port}/api/v1/openapi.json",
             "--checks", "all", "--report", "junit", "--report-dir", str(report_dir)],
            cwd=REPO, env={**env, "CXR_API_TOKEN": key}, timeout=MAX_SECONDS + 60)
        elapsed = time.monotonic() - started
        print(f"fuzz-api: schemathesis took {elapsed:.0f} s (budget {MAX_SECONDS} s); "
              f"exit status {result.returncode}")
        if elapsed > MAX_SECONDS:
            print("fuzz-api: over the time budget", file=sys.stderr)
            return result.returncode or 1
        return result.returncode
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if args.keep:
            print(f"fuzz-api: data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
