"""Find and read the installed model's card (model_card.json) and the plots it lists.

Read with plain json, not through cxr.inference.Predictor, so that the public "how it works"
page needs no ONNX session and still works while no model is installed.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

CARD_FILE = "model_card.json"


def model_dir() -> Path:
    """settings.CXR_MODEL_DIR, else the inference package's default (env var or bundled model)."""
    if settings.CXR_MODEL_DIR:
        return Path(settings.CXR_MODEL_DIR)
    try:
        from cxr.inference import default_model_dir
    except ImportError:  # the inference package is optional for this page
        return Path(settings.REPO_DIR) / "models" / "bundled"
    return Path(default_model_dir())


def load_card(directory: Path | None = None) -> dict | None:
    """The card as a dict, or None when no model (or an unreadable card) is installed."""
    path = (directory or model_dir()) / CARD_FILE
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("Cannot read the model card %s: %s", path, exc)
        return None
    return card if isinstance(card, dict) else None


def plot_files(card: dict | None) -> dict[str, str]:
    """{name: relative path} of the PNGs the card ships; `plots` may be a dict or a list."""
    plots = (card or {}).get("plots") or {}
    if isinstance(plots, list):
        plots = {Path(str(p)).stem: p for p in plots}
    if not isinstance(plots, dict):
        return {}
    return {str(name): str(path) for name, path in plots.items() if str(path).lower().endswith(".png")}


def plot_path(card: dict | None, relative: str, directory: Path | None = None) -> Path | None:
    """The file of a plot the card lists, inside the model directory; None for anything else."""
    if relative not in plot_files(card).values():
        return None
    base = (directory or model_dir()).resolve()
    path = (base / relative).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        return None
    return path
