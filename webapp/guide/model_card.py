"""Find and read the installed model's card (model_card.json) and the plots it lists.

Read as a cxr.inference.ModelCard, not through the Predictor, so that the public "how it works"
page needs no ONNX session and still works while no model is installed.
"""
from __future__ import annotations

import logging
from pathlib import Path

from cxr.inference.card import CARD_FILE, CardError, ModelCard
from webapp.screening.engine import configured_model_dir

logger = logging.getLogger(__name__)


def model_dir() -> Path:
    """The folder of the model this site serves (the screening engine's)."""
    return configured_model_dir()


def load_card(directory: Path | None = None) -> ModelCard | None:
    """The card, or None when no model (or an unreadable card) is installed."""
    directory = directory or model_dir()
    try:
        return ModelCard.load(directory)
    except FileNotFoundError:
        return None
    except (OSError, CardError) as exc:
        logger.warning("Cannot read the model card %s: %s", directory / CARD_FILE, exc)
        return None


def plot_files(card: ModelCard | None) -> dict[str, str]:
    """{name: relative path} of the PNGs the card ships."""
    plots = card.plots if card else {}
    return {str(name): str(path) for name, path in plots.items() if str(path).lower().endswith(".png")}


def plot_path(card: ModelCard | None, relative: str, directory: Path | None = None) -> Path | None:
    """The file of a plot the card lists, inside the model directory; None for anything else."""
    if relative not in plot_files(card).values():
        return None
    base = (directory or model_dir()).resolve()
    path = (base / relative).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        return None
    return path
