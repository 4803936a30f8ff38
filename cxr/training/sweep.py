"""The paper's grid: 11 architectures x learning rates x batch sizes, trained and evaluated.

One folder per run, named from its settings (`resnet50_lr1e-04_bs16`), inside the sweep folder.
The sweep is resumable: a run whose folder has `done.json` (written last by `cxr.training.loop.train`)
is not trained again, and a finished run without `metrics.json` is only evaluated. After every
run the tables (`cxr.evaluation.tables`) are rewritten, so a partial grid can be read at any time.
"""
from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cxr.evaluation.runs import SWEEP_FILE, run_name
from cxr.training.registry import PAPER_ARCHITECTURES, canonical_arch

PAPER_LEARNING_RATES = (1e-4, 1e-6)
PAPER_BATCH_SIZES = (16, 32)
# Training options that change where or how fast a run goes, not its result: a resumed sweep
# may change them (another GPU, more workers).
RUNTIME_OPTIONS = ("device", "workers", "cache_dir")


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
    return {k: v for k, v in options.items() if k not in RUNTIME_OPTIONS}


def _record_sweep(sweep_dir: Path, plan: dict) -> None:
    """Write `sweep.json`, refusing to mix two different splits or training setups in one folder."""
    path = sweep_dir / SWEEP_FILE
    if path.exists():
        before = json.loads(path.read_text(encoding="utf-8"))
        for key in ("split_csv", "epochs", "train_options"):
            old, new = before.get(key), plan.get(key)
            if key == "train_options":
                old, new = (_result_options(o) for o in (old or {}, new or {}))
            if old != new:
                raise ValueError(
                    f"{sweep_dir} was started with {key}={old!r}, not {new!r}: use another "
                    "--out folder for a different sweep"
                )
        # A resumed sweep may widen the grid; the union is what the tables show.
        for key in ("archs", "lrs", "batch_sizes"):
            plan[key] = list(dict.fromkeys([*before.get(key, []), *plan[key]]))
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
) -> dict[str, str]:
    """Train and evaluate every grid point not already done; returns {run name: status}.

    `archs` defaults to the paper's 11 architectures (`cxr.training.registry.PAPER_ARCHITECTURES`).

    Status is `skipped` (already done), `trained`, `evaluated` (done before, metrics missing)
    or `failed` (the error is kept in the run's `error.txt`; the other runs go on).
    `train_fn(split_csv, point, epochs, out_dir, options)` and `evaluate_fn(run_dir, split_csv,
    options)` default to the real training and evaluation.
    """
    from cxr.evaluation.tables import write_tables

    out_dir = Path(out_dir)
    split_csv = str(Path(split_csv).resolve())
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
    })
    statuses: dict[str, str] = {}
    for i, point in enumerate(points, 1):
        run_dir = out_dir / point.name
        done, evaluated = (run_dir / "done.json").exists(), (run_dir / "metrics.json").exists()
        prefix = f"[{i}/{len(points)}] {point.name}"
        if done and evaluated:
            statuses[point.name] = "skipped"
            log(f"{prefix}: done, skipped")
            continue
        try:
            if not done:
                log(f"{prefix}: training")
                (run_dir / "error.txt").unlink(missing_ok=True)
                run_dir = Path(train_fn(split_csv, point, epochs, run_dir, train_options))
            log(f"{prefix}: evaluating")
            evaluate_fn(run_dir, split_csv, evaluate_options)
            statuses[point.name] = "trained" if not done else "evaluated"
        except Exception as exc:  # one failed run (no weights, out of memory) must not stop 43
            run_dir.mkdir(parents=True, exist_ok=True)
            (run_dir / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")
            statuses[point.name] = "failed"
            log(f"{prefix}: FAILED: {type(exc).__name__}: {exc}")
        write_tables(out_dir)
    write_tables(out_dir)
    return statuses
