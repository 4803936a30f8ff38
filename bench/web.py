"""Upload-to-reading latency and throughput through a real server on loopback, for small and
full-size X-rays, with the peak memory of each server worker.

    .venv/bin/python bench/web.py [--kinds small,png8,png16,dicom,dicom-jpegll,dicom-64mib]
                                  [--requests 30] [--users 8] [--per-user 5]
                                  [--workers N] [--threads N] [--ort-threads N] [--write-docs]

One timed request = POST the X-ray to /screening/upload/ (the plain form post, as without
JavaScript) + GET the reading page it redirects to: what a person waits for. For each kind of
input a fresh server starts (gunicorn with webapp/gunicorn.conf.py, the production layout;
--workers, --threads and --ort-threads override it) in a subprocess on a free 127.0.0.1 port
with a temporary DATA_DIR (its own SQLite database and private media), so nothing of the
developer's data is touched and each kind's peak memory per worker (VmHWM of every worker
process, read from /proc after the runs) is its own.

Kinds: `small` are six real X-rays of ../shared (224-512 px, 8-bit PNG); the full-size ones are
made from the same six by bench/fullsize.py (2,000 px 8- and 16-bit PNG, 3,000 px DICOM
uncompressed and JPEG Lossless, and one 64 MiB DICOM) into var/bench-inputs (git-ignored).
The 64 MiB DICOM is sent by one user only (3 times): it is there for the memory ceiling.

Baseline, measured in the same run: Predictor.predict on the same files in this process (its
default threads), so the ratios show what the web layer adds on top of the model. The goals of
issue 21 are checked on the 2,000 px 8-bit PNGs: one user's p50 <= 1.3x the predict p50 and
under 100 ms; 8 users at >= 0.9 of the cores' floor (cores / predict p50); and the 64 MiB DICOM
read with a peak under 600 MB per worker. Needs a model: $CXR_MODEL_DIR or models/bundled.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from cxr.evaluation import markdown

REPO_DIR = Path(__file__).resolve().parent.parent
SHARED_CXR = Path(os.environ.get("CXR_SHARED_DATA", REPO_DIR.parent / "shared" / "data")) / "cxr"
INPUTS = REPO_DIR / "var" / "bench-inputs"
CONFIG = REPO_DIR / "webapp" / "gunicorn.conf.py"
PASSWORD = "bench-password-for-loopback-91"
DOC = REPO_DIR / "docs" / "performance.md"
START, END = "<!-- bench/web.py:start -->", "<!-- bench/web.py:end -->"
KINDS = ("small", "png8", "png16", "dicom", "dicom-jpegll", "dicom-64mib")
LABELS = {
    "small": "small real X-rays (224-512 px, 8-bit PNG)",
    "png8": "2,000 px 8-bit PNG",
    "png16": "2,000 px 16-bit PNG (12-bit values)",
    "dicom": "3,000 px DICOM, uncompressed",
    "dicom-jpegll": "3,000 px DICOM, JPEG Lossless",
    "dicom-64mib": "5,760 x 5,824 DICOM, uncompressed (64 MiB)",
}
GOAL_KIND = "png8"
BIG_KIND = "dicom-64mib"
MEMORY_LIMIT_MB = 600


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def inputs(kinds: list[str]) -> dict[str, list[Path]]:
    """{kind: files}; full-size ones are written by bench/fullsize.py (run as a script)."""
    found: dict[str, list[Path]] = {}
    if "small" in kinds:
        found["small"] = [p for label in ("covid", "pneumonia", "normal")
                          for p in sorted((SHARED_CXR / "images" / label).glob("*.png"))[:2]]
        if not found["small"]:
            sys.exit(f"No X-rays found under {SHARED_CXR}/images: set CXR_SHARED_DATA")
    full = [k for k in kinds if k != "small"]
    if full:
        subprocess.run([sys.executable, str(REPO_DIR / "bench" / "fullsize.py"), "--out", str(INPUTS)]
                       + (["--big"] if BIG_KIND in full else []), check=True, stdout=subprocess.DEVNULL)
        index = json.loads((INPUTS / "inputs.json").read_text())["files"]
        for kind in full:
            found[kind] = [Path(p) for p in index[kind]]
    return found


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


# --- the server -----------------------------------------------------------------------------------

class Server:
    def __init__(self, data_dir: Path, workers: int | None, threads: int | None, ort_threads: int | None):
        self.port = free_port()
        self.env = {**os.environ, "DATA_DIR": str(data_dir), "DJANGO_DEBUG": "0",
                    "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
        if ort_threads:
            self.env["CXR_ORT_THREADS"] = str(ort_threads)
        self.command = [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "webapp.wsgi:application",
                        "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning"]
        if workers:
            self.command += ["--workers", str(workers)]
        if threads:
            self.command += ["--threads", str(threads)]
        self.process: subprocess.Popen | None = None
        self.log = data_dir / "server.log"

    def __enter__(self) -> Server:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                       cwd=REPO_DIR, env=self.env, check=True)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(self.command, cwd=REPO_DIR, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        self.__exit__()
        sys.exit(f"The server did not start; see {self.log}:\n{self.log.read_text()[-2000:]}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the master's children, found by their parent pid in /proc."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def peak_mb_per_worker(self) -> list[float]:
        """Peak resident memory (VmHWM) of each worker so far, in MB (10^6 bytes)."""
        peaks = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            kib = int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1))
            peaks.append(kib * 1024 / 1e6)
        return peaks

    def cpu_seconds(self) -> float:
        """CPU time (user + system, all threads) the master and its workers have used so far."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in [self.process.pid, *self.worker_pids()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        return total


def create_users(env: dict, count: int) -> list[str]:
    emails = [f"bench{i}@example.org" for i in range(count)]
    code = (
        "import django, sys; django.setup()\n"
        "from webapp.accounts.models import User\n"
        "for email in sys.argv[1:]:\n"
        f"    User.objects.create_user(email=email, password={PASSWORD!r}, full_name='Bench User')\n"
    )
    subprocess.run([sys.executable, "-c", code, *emails], cwd=REPO_DIR, check=True,
                   env={**env, "DJANGO_SETTINGS_MODULE": "webapp.settings"})
    return emails


# --- one simulated person -------------------------------------------------------------------------

class Browser:
    """A keep-alive HTTP connection with the session and CSRF cookies of one logged-in user."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        content = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response, content

    def log_in(self, email: str) -> None:
        _response, page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        form = f"csrfmiddlewaretoken={token}&username={email}&password={PASSWORD}".encode()
        response, _ = self.request("POST", "/accounts/login/", form, {
            "Content-Type": "application/x-www-form-urlencoded"})
        if response.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login failed for {email}: HTTP {response.status}")

    def body(self, image: Path, data: bytes) -> tuple[bytes, str]:
        boundary = uuid.uuid4().hex
        content_type = "application/dicom" if image.suffix == ".dcm" else "image/png"
        body = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\"\r\n\r\n"
            f"{self.cookies['csrftoken']}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{image.name}\"\r\n"
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
        return body, f"multipart/form-data; boundary={boundary}"

    def screen(self, image: Path, data: bytes) -> float:
        """Upload one X-ray and fetch the reading page; seconds from first byte sent to HTML."""
        body, content_type = self.body(image, data)
        # A fresh connection per reading: the server may have closed an idle keep-alive one.
        self.connection.close()
        start = time.perf_counter()
        response, _ = self.request("POST", "/screening/upload/", body, {"Content-Type": content_type})
        if response.status != 302:
            raise RuntimeError(f"upload of {image.name} answered HTTP {response.status}")
        page_response, page = self.request("GET", response.getheader("Location"))
        elapsed = time.perf_counter() - start
        if page_response.status != 200 or b'data-testid="outcome"' not in page:
            raise RuntimeError(f"the reading page answered HTTP {page_response.status}")
        return elapsed


# --- the runs -------------------------------------------------------------------------------------

def run_users(port: int, emails: list[str], images: list[Path], per_user: int,
              offset: int = 0, server: Server | None = None) -> tuple[list[float], float, float]:
    """(seconds per reading, wall seconds, server CPU seconds) of `per_user` readings by each of
    the users at once, timed after they have logged in (a login's password hash is not a
    reading's work); the CPU is 0 without a `server` to read it from."""
    blobs = {p: p.read_bytes() for p in images}
    browsers = []
    for email in emails:
        browser = Browser(port)
        browser.log_in(email)
        browsers.append(browser)
    times: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(browsers))

    def work(index: int, browser: Browser) -> None:
        barrier.wait()
        try:
            for i in range(per_user):
                image = images[(offset + index + i) % len(images)]
                elapsed = browser.screen(image, blobs[image])
                with lock:
                    times.append(elapsed)
        except BaseException as exc:  # reported after the run
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i, b)) for i, b in enumerate(browsers)]
    cpu = server.cpu_seconds() if server else 0.0
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    cpu = server.cpu_seconds() - cpu if server else 0.0
    if errors:
        raise errors[0]
    return times, wall, cpu


class Baseline:
    """Predictor.predict in this process on the same files (its default threads): the model
    alone, what the web layer is compared with."""

    def __init__(self):
        from cxr.inference import Predictor
        from cxr.inference.predictor import default_threads

        self.predictor = Predictor.load()  # $CXR_MODEL_DIR, else the bundled model: as the server
        self.model = f"{self.predictor.card.name or '?'} {self.predictor.version}"
        self.threads = default_threads()

    def times(self, images: list[Path], repeats: int, offset: int = 0) -> list[float]:
        out = []
        for i in range(repeats):
            data = images[(offset + i) % len(images)].read_bytes()
            start = time.perf_counter()
            self.predictor.predict(data)
            out.append(time.perf_counter() - start)
        return out


# One process of the measured floor: the server's thread settings come from the environment
# (read before numpy and ONNX Runtime load), "ready" once warm, then N readings after "go".
FLOOR_PROCESS = """
import sys, time
from pathlib import Path
from cxr.inference import Predictor
predictor = Predictor.load()
blobs = [Path(p).read_bytes() for p in sys.argv[2:]]
predictor.predict(blobs[0])
print("ready", flush=True)
sys.stdin.readline()
start = time.perf_counter()
for i in range(int(sys.argv[1])):
    predictor.predict(blobs[i % len(blobs)])
print(time.perf_counter() - start, flush=True)
"""


def measured_floor(images: list[Path], readings_each: int, ort_threads: int | None) -> float:
    """Readings/s of one process per core, each running Predictor.predict on the files at once
    with a server worker's settings (1 ONNX Runtime thread unless --ort-threads says otherwise,
    as webapp/gunicorn.conf.py sets; no BLAS thread pool, as webapp/settings.py sets): what the
    cores deliver when only the model runs, measured rather than inferred from one process's latency."""
    cores = os.cpu_count() or 1
    env = {**os.environ, "CXR_ORT_THREADS": str(ort_threads or 1), "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    command = [sys.executable, "-c", FLOOR_PROCESS, str(readings_each), *map(str, images)]
    processes = [subprocess.Popen(command, cwd=REPO_DIR, env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True) for _ in range(cores)]
    try:
        for process in processes:
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError("a floor process did not start; run it by hand to see why")
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        seconds = [float(process.stdout.readline()) for process in processes]
    finally:
        for process in processes:
            process.kill()
            process.wait()
    return cores * readings_each / max(seconds)


def measure_kind(kind: str, images: list[Path], args, baseline: Baseline) -> dict:
    """One kind against a fresh server. The baseline and the single user take turns in rounds
    (and the baseline runs again just before and after the concurrent users), so that load from
    other work on the machine weighs on both sides of each ratio alike."""
    big = kind == BIG_KIND
    requests = 3 if big else args.requests
    rounds = 1 if big else max(1, min(args.rounds, requests))
    per_round = max(1, requests // rounds)
    baseline.times(images, 1)  # warm-up
    result = {"kind": kind, "files": len(images), "mib": [p.stat().st_size / 2**20 for p in images],
              "model": baseline.model, "predict_threads": baseline.threads, "predict": [], "single": [],
              "single_wall": 0.0, "load": [os.getloadavg()[0]]}
    with tempfile.TemporaryDirectory(prefix="cxr-bench-web-") as tmp:
        with Server(Path(tmp), args.workers, args.threads, args.ort_threads) as server:
            emails = create_users(server.env, 1 if big else max(1, args.users))
            run_users(server.port, emails, images, 1)  # warm-up: caches, connections, first pages
            single_cpu = 0.0
            for r in range(rounds):
                result["predict"] += baseline.times(images, per_round, r * per_round)
                times, wall, cpu = run_users(server.port, emails[:1], images, per_round,
                                             r * per_round, server)
                single_cpu += cpu
                result["single"] += times
                result["single_wall"] += wall
            result["single_server_cpu_ms"] = single_cpu * 1000 / len(result["single"])
            if not big and args.users > 1:
                result["measured_floor"] = measured_floor(images, args.users * args.per_user // 2,
                                                          args.ort_threads)
                result["predict_around_concurrent"] = baseline.times(images, per_round)
                client_cpu = time.process_time()
                result["concurrent"], result["concurrent_wall"], server_cpu = run_users(
                    server.port, emails, images, args.per_user, server=server)
                # Where the cores went: the server's workers, and this process's simulated users
                # (building and sending the uploads, reading the pages; logins included), per reading.
                readings = len(result["concurrent"])
                result["server_cpu_ms"] = server_cpu * 1000 / readings
                result["client_cpu_ms"] = (time.process_time() - client_cpu) * 1000 / readings
                result["predict_around_concurrent"] += baseline.times(images, per_round, per_round)
                result["predict"] += result["predict_around_concurrent"]
            result["peak_mb"] = server.peak_mb_per_worker()
            result["workers"] = len(server.worker_pids())
    result["load"].append(os.getloadavg()[0])
    return result


def ms(values: list[float], q: float) -> float:
    return percentile(values, q) * 1000


def summary_rows(results: list[dict]) -> list[tuple]:
    cores = os.cpu_count() or 1
    rows = []
    for r in results:
        predict_p50 = ms(r["predict"], 50)
        single_p50 = ms(r["single"], 50)
        floor = cores / (predict_p50 / 1000)
        if "concurrent" in r:
            throughput = len(r["concurrent"]) / r["concurrent_wall"]
            concurrent = (f"{ms(r['concurrent'], 50):.0f} / {ms(r['concurrent'], 95):.0f}",
                          f"{throughput:.1f}", f"{floor:.1f}", f"{throughput / floor:.2f}",
                          f"{r['measured_floor']:.1f}", f"{throughput / r['measured_floor']:.2f}",
                          f"{r['server_cpu_ms']:.0f} / {r['client_cpu_ms']:.0f}")
        else:
            concurrent = ("—", "—", f"{floor:.1f}", "—", "—", "—", "—")
        rows.append((LABELS[r["kind"]], f"{min(r['mib']):.1f}-{max(r['mib']):.1f}",
                     f"{predict_p50:.0f} / {ms(r['predict'], 95):.0f}",
                     f"{single_p50:.0f} / {ms(r['single'], 95):.0f}", f"{single_p50 / predict_p50:.2f}x",
                     *concurrent, f"{max(r['peak_mb']):.0f}", f"{r['load'][0]:.1f}-{r['load'][1]:.1f}"))
    return rows


def goals(results: list[dict], users: int) -> list[str]:
    lines = []
    by_kind = {r["kind"]: r for r in results}
    cores = os.cpu_count() or 1
    if GOAL_KIND in by_kind:
        r = by_kind[GOAL_KIND]
        predict_p50, single_p50 = ms(r["predict"], 50), ms(r["single"], 50)
        ok = single_p50 <= 1.3 * predict_p50 and single_p50 < 100
        lines.append(f"- One user, {LABELS[GOAL_KIND]}: p50 {single_p50:.0f} ms = {single_p50 / predict_p50:.2f}x "
                     f"the predict p50 ({predict_p50:.0f} ms); goal <= 1.3x and < 100 ms: "
                     f"**{'met' if ok else 'not met'}**.")
        if "concurrent" in r:
            throughput = len(r["concurrent"]) / r["concurrent_wall"]
            floor = cores / (predict_p50 / 1000)
            ok = throughput >= 0.9 * floor
            lines.append(f"- {users} concurrent users, {LABELS[GOAL_KIND]}: "
                         f"{throughput:.1f} readings/s = {throughput / floor:.2f} of the {cores}-core floor "
                         f"({cores} / {predict_p50:.0f} ms = {floor:.1f}/s); goal >= 0.9: "
                         f"**{'met' if ok else 'not met'}**. Against the measured floor "
                         f"({r['measured_floor']:.1f}/s: {cores} processes running only predict, "
                         f"with a worker's threads): {throughput / r['measured_floor']:.2f}.")
    if BIG_KIND in by_kind:
        peak = max(by_kind[BIG_KIND]["peak_mb"])
        lines.append(f"- {LABELS[BIG_KIND]}: peak {peak:.0f} MB per worker; goal < {MEMORY_LIMIT_MB} MB: "
                     f"**{'met' if peak < MEMORY_LIMIT_MB else 'not met'}**.")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated, of {', '.join(KINDS)}")
    parser.add_argument("--workers", type=int, help="gunicorn processes (default: the config's)")
    parser.add_argument("--threads", type=int, help="gunicorn threads per process (default: the config's)")
    parser.add_argument("--ort-threads", type=int, help="ONNX Runtime threads per worker (default: the config's)")
    parser.add_argument("--requests", type=int, default=30, help="timed requests of the single user")
    parser.add_argument("--users", type=int, default=8, help="concurrent users")
    parser.add_argument("--per-user", type=int, default=5, help="timed requests per concurrent user")
    parser.add_argument("--rounds", type=int, default=5,
                        help="turns of baseline and single user (each of requests / rounds)")
    parser.add_argument("--json", type=Path, help="also write the raw times to this file")
    parser.add_argument("--write-docs", action="store_true", help=f"write the table into {DOC.name}")
    args = parser.parse_args(argv)
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")

    files = inputs(kinds)
    load_before = os.getloadavg()[0]
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    baseline = Baseline()
    results = []
    for kind in kinds:
        results.append(measure_kind(kind, files[kind], args, baseline))
        print(f"{kind}: done", file=sys.stderr)
    load_after = os.getloadavg()[0]

    r0 = results[0]
    layout = (f"gunicorn -c webapp/gunicorn.conf.py ({r0['workers']} workers"
              f"{f' x {args.threads} threads' if args.threads else ''}"
              f"{f', {args.ort_threads} ONNX Runtime thread(s) each' if args.ort_threads else ''}"
              f"{', command-line overrides' if args.workers or args.threads or args.ort_threads else ''})")
    lines = [
        f"Run of {started}: {layout}, SQLite; model {r0['model']}; {os.cpu_count()} CPU cores, load "
        f"average {load_before:.1f} before and {load_after:.1f} after the run (other work on the "
        f"machine); baseline `Predictor.predict` in-process with {r0['predict_threads']} ONNX Runtime "
        f"threads, taking turns with the single user in {args.rounds} rounds and run again around "
        f"the concurrent users; form uploads with a session; {args.requests} requests for one user "
        f"(3 for the 64 MiB DICOM), {args.users} users x {args.per_user} concurrently.",
        "",
        markdown.table(
            ("input", "MiB", "predict p50 / p95 ms", "1 user p50 / p95 ms", "1 user vs. predict",
             f"{args.users} users p50 / p95 ms", "readings/s", "floor (cores / predict p50)",
             "share of floor", "measured floor", "share of measured floor",
             "CPU ms per reading, server / users", "peak MB per worker", "load average"),
            summary_rows(results), "lrrrrrrrrrrrrr"),
        "",
        *goals(results, args.users),
    ]
    table = "\n".join(lines)
    print(table)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    if args.write_docs:
        write_docs(table)
        print(f"Written to {DOC}")
    return 0


def write_docs(table: str) -> None:
    section = (
        f"{START}\n## Web: latest run of `bench/web.py`\n\n{table}\n\n"
        "Reproduce: `.venv/bin/python bench/web.py --write-docs` (needs the bundled model; the "
        "full-size inputs are made in var/bench-inputs on the first run).\n"
        f"{END}\n"
    )
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Performance\n\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
