"""Load test: many concurrent API uploads against a real multi-worker server; none may be lost.

    .venv/bin/python bench/load.py [--requests 200] [--concurrency 50] [--workers 3]
                                   [--database auto|sqlite|postgres] [--model-dir DIR]
                                   [--baseline 20] [--write-docs]

Starts gunicorn (several sync workers) on a free 127.0.0.1 port with a temporary DATA_DIR, on
PostgreSQL when available (a throwaway server from scripts/with-postgres.sh, as in `make test`)
else SQLite, then sends --requests uploads of real X-rays from ../shared through
POST /api/v1/readings/ from a pool of --concurrency threads, each with a timeout. Afterwards it
counts what the server stored: every 201 must be exactly one row with its three files, and
nothing else may be stored. Errors (5xx, timeouts, broken connections) are expected to be 0;
refusals (4xx, e.g. "not a chest X-ray") are answers, counted separately.

Baseline, measured in the same run against the same server: --baseline uploads one at a time.
The table gives throughput and latency of both and the ratio. Needs a model: --model-dir,
$CXR_MODEL_DIR or models/bundled. --write-docs replaces the "Load" section of
docs/performance.md (between its markers) with the table.
"""
from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from cxr.evaluation import markdown

REPO_DIR = Path(__file__).resolve().parent.parent
SHARED_CXR = Path(os.environ.get("CXR_SHARED_DATA", REPO_DIR.parent / "shared" / "data")) / "cxr"
DOC = REPO_DIR / "docs" / "performance.md"
START, END = "<!-- bench/load.py:start -->", "<!-- bench/load.py:end -->"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--database", choices=("auto", "sqlite", "postgres"), default="auto")
    parser.add_argument("--model-dir", default=os.environ.get("CXR_MODEL_DIR", ""))
    parser.add_argument("--baseline", type=int, default=20, help="sequential uploads first")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per request")
    parser.add_argument("--images", type=int, default=40, help="distinct real X-rays to cycle")
    parser.add_argument("--write-docs", action="store_true")
    return parser.parse_args(argv)


def postgres_available() -> bool:
    return bool(shutil.which("initdb") or list(Path("/usr/lib/postgresql").glob("*/bin/initdb")))


def rerun_under_postgres(args) -> None:
    """Restart this script inside scripts/with-postgres.sh, which sets DATABASE_URL."""
    argv = list(sys.argv[1:])
    if "--database" in argv:
        at = argv.index("--database")
        del argv[at:at + 2]
    command = ["bash", str(REPO_DIR / "scripts" / "with-postgres.sh"), sys.executable, __file__,
               *argv, "--database", "postgres"]
    os.execvp(command[0], command)


def real_xrays(count: int) -> list[tuple[str, bytes]]:
    """`count` real X-rays, taking classes and sources in turn, as (file name, bytes)."""
    with open(SHARED_CXR / "manifest.csv", newline="", encoding="utf-8") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: r["file"])
    by_group: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        source = row["file"].split("/")[-1].split("__")[0]
        by_group.setdefault((row["label"], source), []).append(row)
    picked, i = [], 0
    while len(picked) < count and any(i < len(g) for g in by_group.values()):
        picked += [g[i] for g in by_group.values() if i < len(g)]
        i += 1
    return [(Path(r["file"]).name, (SHARED_CXR / r["file"]).read_bytes()) for r in picked[:count]]


class Server:
    """gunicorn with its own DATA_DIR; the database is SQLite there or $DATABASE_URL."""

    def __init__(self, data_dir: Path, model_dir: str, workers: int, use_postgres: bool):
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("DJANGO_ENV", "PRIVATE_MEDIA_ROOT")
                    and (use_postgres or k != "DATABASE_URL")}
        self.env.update(DATA_DIR=str(data_dir), DJANGO_DEBUG="0", CXR_ORT_THREADS="1",
                        LOG_LEVEL="WARNING")
        if model_dir:
            self.env["CXR_MODEL_DIR"] = model_dir
        self.data_dir = data_dir
        self.workers = workers
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.process = None
        self.api_key = ""

    def manage(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO_DIR, env=self.env,
                                capture_output=True, text=True, timeout=600)
        if result.returncode:
            raise RuntimeError(result.stdout + result.stderr)
        return result.stdout

    def start(self) -> None:
        self.manage("migrate", "--noinput")
        self.api_key = self.manage("shell", "-c", (
            "from webapp.accounts.models import User; from webapp.screening.models import ApiToken;"
            "u = User.objects.create_user(email='load@example.org', password=None, full_name='L');"
            "print(ApiToken.issue(u)[1])")).strip().splitlines()[-1]
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [str(gunicorn), "webapp.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--timeout", "300", "--backlog", "512"],
            cwd=REPO_DIR, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if self.get("/api/v1/openapi.json")[0] == 200:
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=60)

    def get(self, path: str) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request("GET", path, headers={"Authorization": f"Token {self.api_key}"})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def upload(self, name: str, data: bytes, timeout: float) -> tuple[str, float, int | None]:
        """One upload: (outcome, seconds, reading id). Outcome: created, refused or error."""
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; "
                f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
        body += data + f"\r\n--{boundary}--\r\n".encode()
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("POST", "/api/v1/readings/", body=body, headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Authorization": f"Token {self.api_key}"})
            response = connection.getresponse()
            payload = response.read()
            status = response.status
        except OSError as exc:
            return f"error: {type(exc).__name__}", time.perf_counter() - started, None
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        if status == 201:
            return "created", seconds, json.loads(payload)["id"]
        if 400 <= status < 500:
            return f"refused {status}", seconds, None
        return f"error: HTTP {status}", seconds, None

    def stored(self) -> dict:
        """What the server holds: rows (from the database itself) and reading folders on disk."""
        out = self.manage("shell", "-c", (
            "import json; from webapp.screening.models import Reading; from webapp.screening import storage;"
            "rows = list(Reading.objects.values_list('id', flat=True));"
            "broken = [r.pk for r in Reading.objects.all() if storage.missing_files(r)];"
            "print(json.dumps({'rows': rows, 'broken': broken}))"))
        stored = json.loads(out.strip().splitlines()[-1])
        media = self.data_dir / "private"
        stored["folders"] = sum(1 for p in media.glob("*/*") if p.is_dir()) if media.exists() else 0
        return stored


def run_batch(server: Server, xrays, count: int, concurrency: int, timeout: float):
    jobs = [xrays[i % len(xrays)] for i in range(count)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda job: server.upload(job[0], job[1], timeout), jobs))
    return results, time.perf_counter() - started


def summarise(results, wall: float) -> dict:
    latencies = sorted(seconds for _outcome, seconds, _id in results)
    outcomes: dict[str, int] = {}
    for outcome, _seconds, _id in results:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    return {
        "requests": len(results), "seconds": wall, "throughput": len(results) / wall,
        "p50": q[49], "p95": q[94], "max": latencies[-1], "outcomes": outcomes,
        "errors": sum(n for o, n in outcomes.items() if o.startswith("error")),
        "created": outcomes.get("created", 0),
    }


def table(args, database: str, model: str, warm: int, base: dict, load: dict, stored: dict,
          ok: bool) -> str:
    refused = {o: n for o, n in load["outcomes"].items() if o.startswith("refused")}
    lines = [
        f"Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: gunicorn {args.workers} sync workers "
        f"(1 ONNX thread each), {database}, model `{model}`, {args.images} distinct real X-rays "
        f"(224-512 px PNG/JPEG) cycled, API uploads with a token, client on the same machine.",
        "",
        markdown.table(
            ("run", "requests", "concurrency", "throughput (uploads/s)", "p50 (s)", "p95 (s)",
             "max (s)", "errors"),
            [("baseline: one at a time", base["requests"], 1, f"{base['throughput']:.2f}",
              f"{base['p50']:.2f}", f"{base['p95']:.2f}", f"{base['max']:.2f}", base["errors"]),
             ("load", load["requests"], args.concurrency, f"{load['throughput']:.2f}",
              f"{load['p50']:.2f}", f"{load['p95']:.2f}", f"{load['max']:.2f}", load["errors"]),
             ("ratio load / baseline", "", "", f"{load['throughput'] / base['throughput']:.2f}x",
              f"{load['p50'] / base['p50']:.2f}x", f"{load['p95'] / base['p95']:.2f}x", "", "")],
            "lrrrrrrr"),
        "",
        f"Stored afterwards: {len(stored['rows'])} rows = {warm} warm-up + {base['created']} + "
        f"{load['created']} created (201) uploads; {stored['folders']} image folders; {len(stored['broken'])} rows "
        f"with missing files; duplicates: {stored['duplicates']}. Refusals (answered 4xx, not "
        f"stored): {refused or 'none'}. Verdict: {'PASS' if ok else 'FAIL'} (0 errors, every "
        "created reading stored exactly once, nothing else stored).",
    ]
    return "\n".join(lines)


def write_docs(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Performance\n"
    command = ("```\n.venv/bin/python bench/load.py [--requests 200] [--concurrency 50] "
               "[--workers 3] [--database auto|sqlite|postgres] [--write-docs]\n```\n")
    block = f"{START}\n{text}\n{END}"
    if START in doc and END in doc:
        doc = doc[:doc.index(START)] + block + doc[doc.index(END) + len(END):]
    else:
        doc = doc.rstrip("\n") + f"\n\n## Load (`bench/load.py`)\n{command}\n{block}\n"
    DOC.write_text(doc, encoding="utf-8")


def main(argv=None) -> int:
    args = parse_args(argv)
    use_postgres = args.database == "postgres" or (
        args.database == "auto" and os.environ.get("DATABASE_URL", "").startswith("postgres"))
    if args.database == "auto" and not use_postgres and postgres_available():
        rerun_under_postgres(args)  # does not return
    if args.database == "postgres" and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        rerun_under_postgres(args)
    model_dir = args.model_dir or str(REPO_DIR / "models" / "bundled")
    if not (Path(model_dir) / "model.onnx").is_file():
        print(f"No model at {model_dir}: export one or pass --model-dir.", file=sys.stderr)
        return 2
    database = "PostgreSQL" if use_postgres else "SQLite"
    xrays = real_xrays(args.images)
    with tempfile.TemporaryDirectory(prefix="cxr-load-") as tmp:
        server = Server(Path(tmp), model_dir, args.workers, use_postgres)
        server.start()
        try:
            # Every worker loads the model on its first upload: do that before timing anything.
            run_batch(server, xrays, args.workers * 2, args.workers, args.timeout)
            warm = len(server.stored()["rows"])
            base_results, base_wall = run_batch(server, xrays, args.baseline, 1, args.timeout)
            load_results, load_wall = run_batch(server, xrays, args.requests, args.concurrency,
                                                args.timeout)
            stored = server.stored()
        finally:
            server.stop()
    base, load = summarise(base_results, base_wall), summarise(load_results, load_wall)
    created_ids = [i for _o, _s, i in base_results + load_results if i is not None]
    stored["duplicates"] = len(created_ids) - len(set(created_ids))
    expected = warm + len(created_ids)
    ok = (base["errors"] == 0 and load["errors"] == 0 and stored["duplicates"] == 0
          and len(stored["rows"]) == expected and set(created_ids) <= set(stored["rows"])
          and stored["folders"] == expected and not stored["broken"])
    model = json.loads((Path(model_dir) / "model_card.json").read_text()).get("name", model_dir)
    text = table(args, database, model, warm, base, load, stored, ok)
    print(text)
    if load["errors"] or base["errors"]:
        print("errors:", {o: n for o, n in {**base["outcomes"], **load["outcomes"]}.items()
                          if o.startswith("error")}, file=sys.stderr)
    if args.write_docs:
        write_docs(text)
        print(f"\nwrote the Load section of {DOC.relative_to(REPO_DIR)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
