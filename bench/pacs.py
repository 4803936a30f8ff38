"""PACS throughput: N studies stored in a real Orthanc are read and written back by the job
queue, with 1 and with 2 workers (issue 20).

    scripts/with-orthanc.sh .venv/bin/python bench/pacs.py [--studies 500] [--workers 1,2]

For each worker count, from scratch: a fresh DATA_DIR (its own SQLite database, the queue's
broker too), an empty Orthanc, N one-image studies (real X-rays of ../shared/data/cxr wrapped
as DX "PA" instances by webapp.pacs.studies, cycling through the set) stored through Orthanc's
REST API as a modality would send them; `manage.py pacs_ingest` finds and queues them
(QIDO-RS); then `manage.py qcluster` with QUEUE_WORKERS workers (each ONNX Runtime at one
thread) reads each study (WADO-RS metadata and instance, the model, the reading's files and
row) and writes back its SR and secondary capture (STOW-RS). Timed: from the cluster's start
(workers load the model in their first job) to the last study written back, read from the
database. Orthanc and the cluster share the machine's cores. Prints a markdown table, and the
machine's load average around each run (other users' work shows there).
"""
from __future__ import annotations

import argparse
import base64
import csv
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
SHARED_CXR = Path(os.environ.get("CXR_SHARED_DATA", REPO_DIR.parent / "shared" / "data")) / "cxr"
SITE = "pacs-bench@hospital.example"


def orthanc(method: str, path: str, body: bytes | None = None):
    request = urllib.request.Request(os.environ["PACS_ORTHANC_URL"] + path, data=body,
                                     method=method)
    if os.environ.get("PACS_ORTHANC_AUTH"):  # scripts/with-orthanc.sh's user:password
        token = base64.b64encode(os.environ["PACS_ORTHANC_AUTH"].encode()).decode()
        request.add_header("Authorization", "Basic " + token)
    if body is not None:
        request.add_header("Content-Type", "application/dicom")
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read()


def clear_orthanc() -> None:
    import json

    for study in json.loads(orthanc("GET", "/studies")):
        orthanc("DELETE", f"/studies/{study}")


def images(n: int) -> list[Path]:
    with open(SHARED_CXR / "manifest.csv", newline="", encoding="utf-8") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: r["file"])
    step = max(1, len(rows) // n)
    picked = [SHARED_CXR / r["file"] for r in rows[::step]]
    return (picked * (n // len(picked) + 1))[:n]


def push_studies(paths: list[Path]) -> float:
    from webapp.pacs.studies import to_bytes, xray_instance

    start = time.perf_counter()
    for number, path in enumerate(paths):
        orthanc("POST", "/instances", to_bytes(xray_instance(
            path, view_position="PA", patient_id=f"BENCH-{number}",
            # one study a minute, as a busy department sends them (and a PACS that caps its
            # answers is asked minute by minute at most: webapp/pacs/ingest.py)
            study_time=f"{number // 60 % 24:02d}{number % 60:02d}00")))
    return time.perf_counter() - start


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO_DIR, env=env,
                            capture_output=True, text=True, timeout=1800)
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def states(database: Path) -> dict[str, int]:
    with sqlite3.connect(database, timeout=60) as connection:
        return dict(connection.execute(
            "SELECT state, COUNT(*) FROM pacs_pacsstudy GROUP BY state").fetchall())


def stop(cluster: subprocess.Popen) -> None:
    """SIGTERM to the cluster's sentinel (it stops its workers in a few seconds; a signal to
    the whole group would leave it waiting for them), SIGKILL to the group if it hangs."""
    cluster.send_signal(signal.SIGTERM)
    try:
        cluster.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait()


def reasons(database: Path) -> dict[str, int]:
    with sqlite3.connect(database, timeout=60) as connection:
        return dict(connection.execute(
            "SELECT state || ' ' || reason_code, COUNT(*) FROM pacs_pacsstudy "
            "WHERE state IN ('skipped', 'failed') GROUP BY 1").fetchall())


def run(workers: int, paths: list[Path], timeout: float) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="cxr-bench-pacs-"))
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "DJANGO_ENV", "SECRET_KEY", "PRIVATE_MEDIA_ROOT")}
    env.update(DATA_DIR=str(data_dir), CXR_ORT_THREADS="1", QUEUE_WORKERS=str(workers),
               PACS_DICOMWEB_URL=os.environ["PACS_DICOMWEB_URL"], PACS_SITE_ACCOUNT=SITE,
               LOG_LEVEL="WARNING")
    manage(env, "migrate", "--noinput")
    manage(env, "shell", "-c", "from django.utils import timezone; "
                               "from webapp.accounts.models import User; User.objects."
                               f"create_user(email='{SITE}', password=None, full_name='PACS', "
                               "role='doctor', doctor_verified_at=timezone.now())")
    clear_orthanc()
    push_s = push_studies(paths)
    start = time.perf_counter()
    manage(env, "pacs_ingest")
    queue_s = time.perf_counter() - start
    database = data_dir / "db.sqlite3"
    cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=REPO_DIR, env=env,
                               start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    start = time.perf_counter()
    try:
        while True:
            counts = states(database)
            done = sum(counts.get(s, 0) for s in ("written", "skipped", "failed"))
            if done == len(paths):
                break
            if time.perf_counter() - start > timeout:
                sys.exit(f"{workers} worker(s): not done after {timeout:.0f} s: {counts}")
            time.sleep(0.25)
        wall = time.perf_counter() - start
    finally:
        stop(cluster)
    why = reasons(database)
    subprocess.run(["rm", "-rf", str(data_dir)], check=False)
    return {"workers": workers, "studies": len(paths), "states": counts, "reasons": why, "push_s": push_s,
            "queue_s": queue_s, "wall_s": wall,
            "per_s": len(paths) / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=500)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    if not os.environ.get("PACS_DICOMWEB_URL"):
        sys.exit("Run under scripts/with-orthanc.sh (needs Orthanc with DICOMweb).")
    if not (SHARED_CXR / "manifest.csv").is_file():
        sys.exit(f"No X-rays at {SHARED_CXR}")
    paths = images(args.studies)
    results = []
    for workers in args.workers.split(","):
        before = os.getloadavg()[0]
        results.append(run(int(workers), paths, args.timeout))
        results[-1]["load"] = (before, os.getloadavg()[0])
    base = results[0]["per_s"]
    print(f"\n{os.cpu_count()} cores; {args.studies} one-image studies; Orthanc on the same "
          "machine; SQLite database and broker; ONNX Runtime 1 thread per worker\n")
    print("| workers | written | skipped/failed | store in Orthanc (s) | find + queue (s) | "
          "read + write back (s) | studies/s | vs 1 worker |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        other = r["states"].get("skipped", 0) + r["states"].get("failed", 0)
        print(f"| {r['workers']} | {r['states'].get('written', 0)} | {other} | "
              f"{r['push_s']:.1f} | {r['queue_s']:.1f} | {r['wall_s']:.1f} | {r['per_s']:.2f} | "
              f"{r['per_s'] / base:.2f}x |")
    print("\nLoad average (1 min) of the machine before and after each run, other users' jobs "
          "included: " + "; ".join(f"{r['workers']} worker(s) {r['load'][0]:.1f} -> "
                                    f"{r['load'][1]:.1f}" for r in results))
    for r in results:
        if r["reasons"]:
            print(f"\n{r['workers']} worker(s), not written back: " + ", ".join(
                f"{n} {why}" for why, n in sorted(r["reasons"].items())))


if __name__ == "__main__":
    main()
