"""The paper's grid: 11 architectures x learning rates x batch sizes, trained and evaluated.

One folder per run, named from its settings (`resnet50_lr1e-04_bs16`), inside the sweep folder.
The sweep is resumable: a run whose folder has `done.json` (written last by `cxr.training.loop.train`)
is not trained again, and a finished run without `metrics.json` is only evaluated. After every
run the tables (`cxr.evaluation.tables`) are rewritten, so a partial grid can be read at any time.
"""
from __future__ import annotations

import contextlib
import json
import multiprocessing
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from cxr.evaluation.runs import SWEEP_FILE, portable_path, run_name
from cxr.training.registry import PAPER_ARCHITECTURES, canonical_arch, weights_label

PAPER_LEARNING_RATES = (1e-4, 1e-6)
PAPER_BATCH_SIZES = (16, 32)
# Training options that change where or how fast a run goes, not its result: a resumed sweep
# may change them (another GPU, more workers).
RUNTIME_OPTIONS = ("device", "workers", "cache_dir", "resident")
# Options added after some sweep folders were started, with the value that means "off": a folder
# that does not record them ran without them.
LATER_OPTIONS = {"adversary_weight": 0.0, "mixup": 0.0, "label_smoothing": 0.0, "consistency": 0.0}


@dataclass(frozen=True)
class GridPoint:
    arch: str
    lr: float
    batch_size: int

    @property
    def name(self) -> str:
        return run_name(self.arch, self.lr, self.batch_size)


def grid(archs: Iterable[str], lrs: Iterable[float],
         batch_sizes: Iterable[int]) -> list[GridPoint]:
    """Every combination, architectures outermost (the order the tables list them in)."""
    lrs, batch_sizes = list(lrs), list(batch_sizes)
    return [
        GridPoint(canonical_arch(a), float(lr), int(bs))
        for a in archs for lr in lrs for bs in batch_sizes
    ]


def _result_options(options: dict) -> dict:
    return {k: v for k, v in {**LATER_OPTIONS, **options}.items() if k not in RUNTIME_OPTIONS}


def _record_sweep(sweep_dir: Path, plan: dict) -> None:
    """Write `sweep.json`, refusing to mix two different splits or training setups in one folder."""
    path = sweep_dir / SWEEP_FILE
    if path.exists():
        before = json.loads(path.read_text(encoding="utf-8"))
        for key in ("split_csv", "epochs", "train_options"):
            old, new = before.get(key), plan.get(key)
            if key == "train_options":
                old, new = (_result_options(o) for o in (old or {}, new or {}))
            if key == "split_csv":  # older folders recorded absolute paths
                old, new = (str(Path(p).resolve()) if p else p for p in (old, new))
            if old != new:
                raise ValueError(
                    f"{sweep_dir} was started with {key}={old!r}, not {new!r}: use another "
                    "--out folder for a different sweep"
                )
        # A resumed sweep may widen the grid; the union is what the tables show.
        for key in ("archs", "lrs", "batch_sizes"):
            plan[key] = list(dict.fromkeys([*before.get(key, []), *plan[key]]))
        plan["weights"] = {**before.get("weights", {}), **plan.get("weights", {})}
    sweep_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")


def _default_train(split_csv: str, point: GridPoint, epochs: int, out_dir: Path,
                   options: dict) -> Path:
    from cxr.training.loop import TrainConfig, train

    config = TrainConfig(split_csv=str(split_csv), arch=point.arch, lr=point.lr,
                         batch_size=point.batch_size, epochs=epochs, out_dir=str(out_dir),
                         **options)
    return Path(train(config))


def _default_evaluate(run_dir: Path, split_csv: str, options: dict) -> dict:
    from cxr.training.evaluate import evaluate_run

    return evaluate_run(run_dir, split_csv=split_csv, out_dir=run_dir, **options)


def run_point(point: GridPoint, run_dir: Path, split_csv: str, epochs: int, train_options: dict,
              evaluate_options: dict, train_fn, evaluate_fn, log=print) -> tuple[str, str]:
    """Train (unless done) and evaluate one grid point; returns (status, message). A failure is
    kept in the run's `error.txt` and returned, never raised: one run must not stop 43."""
    done = (run_dir / "done.json").exists()
    try:
        if not done:
            log("training")
            (run_dir / "error.txt").unlink(missing_ok=True)
            run_dir = Path(train_fn(split_csv, point, epochs, run_dir, train_options))
        log("evaluating")
        evaluate_fn(run_dir, split_csv, evaluate_options)
        return ("trained" if not done else "evaluated"), ""
    except Exception as exc:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")
        return "failed", f"{type(exc).__name__}: {exc}"


def _run_point_logged(point: GridPoint, run_dir: Path, *job) -> tuple[str, str]:
    """`run_point` in a worker process, its output (training log, progress) in `train.log`."""
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "train.log", "a", encoding="utf-8", buffering=1) as stream, \
            contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
        return run_point(point, run_dir, *job)


def _log_status(prefix: str, result: tuple[str, str], log) -> str:
    status, message = result
    log(f"{prefix}: FAILED: {message}" if status == "failed" else f"{prefix}: {status}")
    return status


def record_throughput(out_dir: Path, trained: Sequence[GridPoint], wall_seconds: float,
                      concurrent: int) -> dict:
    """Append this invocation's training throughput to `throughput.json` and return it.

    `images_per_second`: training images of the runs finished here over the wall time (their
    validation and evaluation included, so a lower bound); `mean_run_rate`: the runs' own
    training-step rates (done.json) averaged; `sum_of_run_rates`: the same added up, which is
    the device's rate while the runs overlap (with `concurrent` > 1; one at a time it means
    nothing)."""
    images, rates, device = 0, 0.0, None
    for point in trained:
        summary = json.loads((out_dir / point.name / "done.json").read_text(encoding="utf-8"))
        images += int(summary.get("train_images", 0))
        rates += float(summary.get("train_images_per_second", 0.0))
        device = summary.get("device", device)
    report = {
        "concurrent": concurrent, "runs": len(trained), "device": device,
        "wall_seconds": round(wall_seconds, 1), "train_images": images,
        "images_per_second": round(images / max(wall_seconds, 1e-9), 1),
        "mean_run_rate": round(rates / max(len(trained), 1), 1),
        "sum_of_run_rates": round(rates, 1),
    }
    path = out_dir / "throughput.json"
    history = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    path.write_text(json.dumps([*history, report], indent=2) + "\n", encoding="utf-8")
    return report


def run_sweep(
    split_csv: str | Path,
    out_dir: str | Path,
    archs: Sequence[str] | None = None,
    lrs: Sequence[float] = PAPER_LEARNING_RATES,
    batch_sizes: Sequence[int] = PAPER_BATCH_SIZES,
    epochs: int = 50,
    train_options: dict | None = None,
    evaluate_options: dict | None = None,
    train_fn: Callable[..., Path] | None = None,
    evaluate_fn: Callable[..., dict] | None = None,
    log: Callable[[str], None] = print,
    concurrent: int = 1,
    plan_only: bool = False,
) -> dict[str, str]:
    """Train and evaluate every grid point not already done; returns {run name: status}.

    `archs` defaults to the paper's 11 architectures (`cxr.training.registry.PAPER_ARCHITECTURES`).

    Status is `skipped` (already done), `trained`, `evaluated` (done before, metrics missing)
    or `failed` (the error is kept in the run's `error.txt`; the other runs go on).
    `train_fn(split_csv, point, epochs, out_dir, options)` and `evaluate_fn(run_dir, split_csv,
    options)` default to the real training and evaluation. `concurrent` > 1 runs that many
    grid points at once, each in its own process (they must then be picklable: module-level).
    `plan_only` records the grid in `sweep.json` and writes the tables without training.
    """
    from cxr.evaluation.tables import write_tables

    out_dir = Path(out_dir)
    split_csv = portable_path(split_csv)
    train_options, evaluate_options = dict(train_options or {}), dict(evaluate_options or {})
    train_fn, evaluate_fn = train_fn or _default_train, evaluate_fn or _default_evaluate
    if archs is None:
        archs = PAPER_ARCHITECTURES
    points = grid(archs, lrs, batch_sizes)
    _record_sweep(out_dir, {
        "split_csv": split_csv,
        "archs": list(dict.fromkeys(p.arch for p in points)),
        "lrs": list(dict.fromkeys(p.lr for p in points)),
        "batch_sizes": list(dict.fromkeys(p.batch_size for p in points)),
        "epochs": epochs,
        "train_options": train_options,
        # what each architecture's rows were trained from (the tables print it on every row)
        "weights": {p.arch: weights_label(p.arch, train_options.get("pretrained", "imagenet"))
                    for p in points},
    })
    statuses: dict[str, str] = {}
    if plan_only:
        write_tables(out_dir)
        return statuses
    todo: list[tuple[str, GridPoint]] = []
    for i, point in enumerate(points, 1):
        run_dir = out_dir / point.name
        prefix = f"[{i}/{len(points)}] {point.name}"
        if (run_dir / "done.json").exists() and (run_dir / "metrics.json").exists():
            statuses[point.name] = "skipped"
            log(f"{prefix}: done, skipped")
        else:
            todo.append((prefix, point))
    started = time.time()
    job = (split_csv, epochs, train_options, evaluate_options, train_fn, evaluate_fn)
    if concurrent <= 1:
        for prefix, point in todo:
            statuses[point.name] = _log_status(prefix, run_point(point, out_dir / point.name, *job,
                                                                 log=lambda m, p=prefix: log(f"{p}: {m}")), log)
            write_tables(out_dir)
    else:
        # One process per running training (a GPU runs several at once: the paper's batch sizes
        # use a fraction of it); each run's own log goes to its folder's train.log.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=concurrent, mp_context=context) as pool:
            futures = {}
            for prefix, point in todo:
                log(f"{prefix}: queued")
                futures[pool.submit(_run_point_logged, point, out_dir / point.name, *job)] = (prefix, point)
            for future in as_completed(futures):
                prefix, point = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # the worker process itself died (killed, out of memory)
                    result = ("failed", f"worker died: {type(exc).__name__}: {exc}")
                    (out_dir / point.name).mkdir(parents=True, exist_ok=True)
                    (out_dir / point.name / "error.txt").write_text(result[1], encoding="utf-8")
                statuses[point.name] = _log_status(prefix, result, log)
                write_tables(out_dir)
    if todo:
        report = record_throughput(out_dir, [p for _, p in todo if statuses[p.name] == "trained"],
                                   time.time() - started, concurrent)
        rates = (f"sum of the runs' own rates {report['sum_of_run_rates']:.1f} img/s" if concurrent > 1
                 else f"each run's own rate {report['mean_run_rate']:.1f} img/s on average")
        log(f"throughput: {report['train_images']} training images in {report['wall_seconds']:.0f} s "
            f"with {concurrent} at once: {report['images_per_second']:.1f} img/s overall ({rates})")
    write_tables(out_dir)
    return statuses
