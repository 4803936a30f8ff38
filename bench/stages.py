"""Where an upload's time goes, stage by stage, in the real Django stack.

    .venv/bin/python bench/stages.py [--uploads 12] [--kinds small,png8,png16,dicom,dicom-jpegll]
                                     [--pstats DIR]

Runs the app in this process (a temporary DATA_DIR with its own SQLite database and private
media, the served model): for each input kind it POSTs X-rays to /screening/upload/ and GETs the
reading page through Django's test client, and times the functions that make each stage:

receive (multipart parsing, reading the upload), decode, resize (the model's input), orientation
check, infer (ONNX Runtime, the normalisation, pooling), guard (OOD and familiarity scores), CAM
(heat map), encode display images (the X-ray, thumbnail and heat map files), store (files with
fsync, the database row and commit), render page (the reading page's context and template), and
what is left of the two requests (middleware, sessions, URL routing, the redirect).

Each stage's time is exclusive (a timed function called inside another is counted once, in its
own stage), so the stages add up to the request; the table gives the median over the uploads of
each stage and of the total. `--pstats DIR` also runs each kind once more under cProfile and
keeps the profile for `python -m pstats` or snakeviz. Full-size inputs come from
bench/fullsize.py (run as a script into var/bench-inputs, git-ignored).
"""
from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
SHARED_CXR = Path(os.environ.get("CXR_SHARED_DATA", REPO_DIR.parent / "shared" / "data")) / "cxr"
INPUTS = REPO_DIR / "var" / "bench-inputs"

# stage -> "module:attribute" (a function, or Class.method) timed as that stage. Missing ones
# (an older or newer app) are skipped.
STAGES = {
    "receive": ["django.http.multipartparser:MultiPartParser.parse",
                "django.core.files.uploadedfile:InMemoryUploadedFile.read",
                "django.core.files.uploadedfile:TemporaryUploadedFile.read"],
    "decode": ["cxr.inference.predictor:Predictor.decode"],
    "resize": ["cxr.inference.predictor:prepare_gray"],
    "orientation": ["cxr.inference.predictor:Predictor._orient"],
    "infer": ["cxr.inference.predictor:Predictor.run_model"],
    "lung field": ["cxr.inference.lung_field:LungField.probabilities"],
    "guard": ["cxr.inference.guard.detectors:FeatureGuard.scores",
              "cxr.inference.guard.detectors:MahalanobisDetector.scores",
              "cxr.inference.predictor:Predictor.guard_scores"],
    "CAM": ["cxr.inference.predictor:heatmap_from_cam"],
    "encode display images": ["webapp.screening.imaging:display_png",
                              "webapp.screening.imaging:thumbnail_png",
                              "webapp.screening.imaging:heatmap_png",
                              "webapp.screening.imaging:display_files"],
    "store": ["webapp.screening.storage:create_reading"],
    "render page": ["webapp.screening.views:reading_context", "webapp.screening.views:render"],
}
TOTAL = "django.core.handlers.base:BaseHandler.get_response"
# Display images made by the app's pool while the model runs (webapp.screening.imaging): their
# time is shown on a row of its own, outside the request's total; "encode display images" is
# then what the request itself spent on them (waiting for the pool, or making them itself).
BACKGROUND = "display images, in the background"


class StageClock:
    """Exclusive wall and CPU time per stage: a timed call inside another is taken out of the
    outer one. CPU time is the calling thread's (time.thread_time): it leaves out what other
    processes take from the cores, so it ranks the stages even on a busy machine, but it also
    leaves out ONNX Runtime's own threads (run with --ort-threads 1 to count the model whole)."""

    def __init__(self):
        self.local = threading.local()
        self.times: dict[str, float] = defaultdict(float)  # exclusive wall
        self.cpu: dict[str, float] = defaultdict(float)  # exclusive CPU of the calling thread
        self.inclusive: dict[str, float] = defaultdict(float)
        self.inclusive_cpu: dict[str, float] = defaultdict(float)

    def clear(self) -> None:
        for table in (self.times, self.cpu, self.inclusive, self.inclusive_cpu):
            table.clear()

    def wrap(self, stage: str, fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            stage_here = stage
            if threading.current_thread().name.startswith("display-images"):
                stage_here = BACKGROUND  # the app's pool: beside the request, not in its time
            stack = self.local.__dict__.setdefault("stack", [])
            stack.append([0.0, 0.0])  # wall and CPU spent in timed calls below this one
            start, start_cpu = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed, elapsed_cpu = time.perf_counter() - start, time.thread_time() - start_cpu
                inner, inner_cpu = stack.pop()
                self.times[stage_here] += elapsed - inner
                self.cpu[stage_here] += elapsed_cpu - inner_cpu
                self.inclusive[stage_here] += elapsed
                self.inclusive_cpu[stage_here] += elapsed_cpu
                if stack:
                    stack[-1][0] += elapsed
                    stack[-1][1] += elapsed_cpu
        return timed

    def install(self, stage: str, target: str) -> bool:
        module_name, _, attribute = target.partition(":")
        try:
            owner = importlib.import_module(module_name)
        except ImportError:
            return False
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part, None)
            if owner is None:
                return False
        fn = getattr(owner, name, None)
        if isinstance(owner, type):
            fn = next((k.__dict__[name] for k in owner.__mro__ if name in k.__dict__), None)
        if fn is None:
            return False
        if isinstance(fn, property):  # Django's file proxies: `read` is a property
            getter = fn.fget
            setattr(owner, name, property(lambda obj: self.wrap(stage, getter(obj))))
        else:
            setattr(owner, name, self.wrap(stage, fn))
        return True


def inputs(kinds: list[str]) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    if "small" in kinds:
        found["small"] = [p for label in ("covid", "pneumonia", "normal")
                          for p in sorted((SHARED_CXR / "images" / label).glob("*.png"))[:2]]
    full = [k for k in kinds if k != "small"]
    if full:
        subprocess.run([sys.executable, str(REPO_DIR / "bench" / "fullsize.py"), "--out", str(INPUTS)]
                       + (["--big"] if "dicom-64mib" in full else []), check=True, stdout=subprocess.DEVNULL)
        index = json.loads((INPUTS / "inputs.json").read_text())["files"]
        for kind in full:
            found[kind] = [Path(p) for p in index[kind]]
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=12, help="uploads per kind")
    parser.add_argument("--kinds", default="small,png8,png16,dicom,dicom-jpegll")
    parser.add_argument("--pstats", type=Path, help="folder to keep each kind's cProfile in")
    parser.add_argument("--ort-threads", type=int, help="ONNX Runtime threads (default: the app's)")
    args = parser.parse_args(argv)
    if args.ort_threads:
        os.environ["CXR_ORT_THREADS"] = str(args.ort_threads)
    # As a server worker (webapp/settings.py turns it off in every process of the app): no BLAS
    # thread pool. Its spinning threads
    # took the second core from the display images and showed as waits in every stage after the
    # guard (total 78 ms wall for 59 of CPU; 54 for 53 without them).
    for blas in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(blas, "1")
    files = inputs(args.kinds.split(","))

    tmp = tempfile.TemporaryDirectory(prefix="cxr-bench-stages-")
    os.environ.update(DATA_DIR=tmp.name, DJANGO_SETTINGS_MODULE="webapp.settings",
                      DJANGO_DEBUG="0", LOG_LEVEL="WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from cxr.evaluation import markdown
    from webapp.accounts.models import User
    from webapp.screening.engine import get_predictor

    setup_test_environment()
    call_command("migrate", "--noinput", verbosity=0)
    user = User.objects.create_user(email="stages@example.org", password="bench-stages-pw-4417",
                                    full_name="Bench")
    client = Client()
    client.force_login(user)
    predictor = get_predictor()

    clock = StageClock()
    installed = {stage: [t for t in targets if clock.install(stage, t)] for stage, targets in STAGES.items()}
    clock.install("total", TOTAL)
    stages = [s for s, targets in installed.items() if targets]
    stages.insert(stages.index("encode display images") + 1, BACKGROUND)

    def upload(path: Path) -> None:
        with open(path, "rb") as f:
            response = client.post("/screening/upload/", {"image": f})
        assert response.status_code == 302, (path, response.status_code)
        assert client.get(response["Location"]).status_code == 200

    rows: dict[str, dict[str, float]] = {}
    cpu_rows: dict[str, dict[str, float]] = {}
    for kind, paths in files.items():
        upload(paths[0])  # warm-up: first-call costs (imports, caches) out of the numbers
        per_upload: dict[str, list[float]] = defaultdict(list)
        per_upload_cpu: dict[str, list[float]] = defaultdict(list)
        for i in range(args.uploads):
            clock.clear()
            upload(paths[i % len(paths)])
            for table, exclusive, inclusive in ((per_upload, clock.times, clock.inclusive),
                                                (per_upload_cpu, clock.cpu, clock.inclusive_cpu)):
                for stage in stages:
                    table[stage].append(exclusive.get(stage, 0.0) * 1000)
                table["other"].append(exclusive["total"] * 1000)  # the requests less the stages
                table["total"].append(inclusive["total"] * 1000)
        rows[kind] = {stage: statistics.median(values) for stage, values in per_upload.items()}
        cpu_rows[kind] = {stage: statistics.median(values) for stage, values in per_upload_cpu.items()}
        if args.pstats:
            profiler = cProfile.Profile()
            profiler.runcall(lambda paths=paths: [upload(p) for p in paths])
            args.pstats.mkdir(parents=True, exist_ok=True)
            profiler.dump_stats(args.pstats / f"{kind}.pstats")

    options = predictor.session.get_session_options()
    print(f"ms per upload (POST + reading page), median of {args.uploads} uploads per kind, "
          f"model {predictor.version}, ONNX Runtime {options.intra_op_num_threads} thread(s), "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end\n")
    names = [*stages, "other", "total"]
    print(markdown.table(("stage", *(f"{k} wall" for k in files), *(f"{k} CPU" for k in files)),
                         [(n, *(f"{rows[k][n]:.1f}" for k in files), *(f"{cpu_rows[k][n]:.1f}" for k in files))
                          for n in names], "l" + "r" * 2 * len(files)))
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
