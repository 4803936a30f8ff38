"""Loading the served model or a training checkpoint for a command: a missing or damaged model
folder, or a file that is not a checkpoint, is a user error.

`load_predictor` raises `CliError` naming the folder and what is wrong with it (no model, a card
that is not JSON or names no classes, a model.onnx or .npz file that cannot be read, a site
calibration that does not fit), or a $CXR_ORT_THREADS that is not a number of threads, instead of
letting a traceback out. A failure no file of the
folder explains stays a traceback: it is a bug. `checked_checkpoint` and `checkpoint_split`
check a checkpoint of `python -m cxr train` and the split it names before `evaluate` or `export`
starts its work (torch, through cxr.training).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cxr.cli.errors import CliError

# cxr.training.loop.load_checkpoint unpickles with torch.load(weights_only=True): tensors and
# plain data only, so a file holding other Python objects is refused instead of run.
CHECKPOINT_LOADING = ("Only tensors and plain data are loaded from it (torch.load with weights_only): "
                      "a file holding other Python objects is refused, not run")


# The engine's advice for a named folder without a model, which a command says with its option.
ENGINE_MODEL_OPTION = "in CXR_MODEL_DIR or the model folder option"


def load_predictor(model: Path | None, site_calibration: Path | None = None, *, code: int = 2,
                   option: str | None = None):
    """`Predictor.load(model, site_calibration=...)`, or a CliError with exit status `code`.
    `option`: the command's option naming the model folder (--model), said in the advice for a
    folder without a model instead of the engine's "the model folder option"."""
    from cxr.inference import CardError, ModelNotInstalled, Predictor, resolve_model_dir
    from cxr.inference.card import CARD_FILE
    from cxr.inference.predictor import default_threads
    from cxr.inference.site_calibration import SiteCalibrationError

    try:
        default_threads()
    except ValueError as exc:  # the environment's setting, not the folder
        raise CliError(str(exc), code=code) from None
    try:
        return Predictor.load(model, site_calibration=site_calibration)
    except ModelNotInstalled as exc:
        advice = f"with {option} or CXR_MODEL_DIR" if option else ENGINE_MODEL_OPTION
        raise CliError(str(exc).replace(ENGINE_MODEL_OPTION, advice), code=code) from None
    except SiteCalibrationError as exc:
        raise CliError(str(exc), code=code) from None
    except CardError as exc:  # not JSON, not shaped like a card, no classes or input size
        problem = str(exc) if CARD_FILE in str(exc) else f"{CARD_FILE}: {exc}"
        raise CliError(_damaged(resolve_model_dir(model), problem), code=code) from None
    except Exception as exc:
        damaged = damaged_part(resolve_model_dir(model))
        if damaged is None:
            raise  # no file of the folder explains it: a bug, with its traceback
        name, problem = damaged
        raise CliError(_damaged(resolve_model_dir(model), f"{name}: {problem}"), code=code) from exc


def _damaged(folder: Path, problem: str) -> str:
    return (f"the model folder {folder} is damaged: {problem} (export it again, or copy it again "
            "from where it came)")


def damaged_part(folder: Path) -> tuple[str, str] | None:
    """(file name, problem) of the first file of the model folder that cannot be loaded on its
    own, or None when each loads."""
    for name, load in _parts(folder):
        try:
            load()
        except Exception as exc:  # noqa: BLE001 - any failure to load the file is its damage
            return name, f"{type(exc).__name__}: {exc}".strip()
    return None


def _parts(folder: Path) -> list[tuple[str, Callable[[], object]]]:
    """Each file Predictor.load reads, with the loader it uses: the lung field and the verifier
    under the names the card gives them (predictor.part_files), as Predictor.load reads them."""
    from cxr.inference.card import CARD_FILE, ModelCard
    from cxr.inference.guard.detectors import load_detector
    from cxr.inference.guard.orientation import ORIENTATION_FILE, load_orientation
    from cxr.inference.guard.verifier import VERIFIER_FILE, load_verifier
    from cxr.inference.lung_field import LUNG_FIELD_FILE, load_lung_field
    from cxr.inference.predictor import part_files

    try:
        lung_file, verifier_file = part_files(ModelCard.load(folder))
    except Exception:  # noqa: BLE001 - the card's own entry below names its damage
        lung_file, verifier_file = LUNG_FIELD_FILE, VERIFIER_FILE

    def onnx_model():
        import onnxruntime as ort

        ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])

    return [
        (CARD_FILE, lambda: ModelCard.load(folder)),
        ("model.onnx", onnx_model),
        ("ood.npz", lambda: load_detector(folder / "ood.npz")),
        (ORIENTATION_FILE, lambda: load_orientation(folder / ORIENTATION_FILE)),
        (lung_file, lambda: load_lung_field(folder / lung_file)),
        (verifier_file, lambda: load_verifier(folder / verifier_file)),
    ]


def checkpoint_file(run_or_checkpoint: Path) -> Path:
    """`runs/x` -> `runs/x/best.pt`; a file as is; a CliError when there is none."""
    path = run_or_checkpoint / "best.pt" if run_or_checkpoint.is_dir() else run_or_checkpoint
    if not path.is_file():
        raise CliError(f"no checkpoint at {path} (give a run folder of `python -m cxr train` or its best.pt)")
    return path


def checked_checkpoint(path: Path) -> dict:
    """The checkpoint dict of `path`, which must load as a checkpoint of `python -m cxr train` (a
    best.pt): anything else is a CliError, before the command makes any folder."""
    from cxr.training.loop import load_checkpoint

    try:
        return load_checkpoint(path)[1]
    except Exception as exc:  # noqa: BLE001 - whatever fails to load is not a checkpoint we can use
        raise CliError(f"{path} is not a checkpoint of `python -m cxr train` (a best.pt): "
                       f"{type(exc).__name__}: {exc}") from None


def checkpoint_split(checkpoint: dict, path: Path, split_csv: Path | None = None, hint: str = "") -> Path:
    """The split CSV to read: `split_csv` when given (it must exist), else the one the checkpoint
    was trained on, as cxr.training.evaluate and cxr.export.bundle read it; a CliError naming it
    when it is gone, with `hint` (how to name another one, where the command can)."""
    from cxr.cli.errors import existing_file

    if split_csv is not None:
        return existing_file(split_csv, "--split-csv")
    args = checkpoint.get("args") or {}
    recorded = (checkpoint.get("split") or {}).get("csv") or (
        args if isinstance(args, dict) else vars(args)).get("split_csv")
    if not recorded:
        raise CliError(f"{path} does not name the split it was trained on{hint}")
    if not Path(recorded).is_file():
        raise CliError(f"the split {recorded} that {path} was trained on does not exist (moved or "
                       f"deleted?){hint}")
    return Path(recorded)
