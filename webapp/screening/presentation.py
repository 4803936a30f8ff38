"""What a reading page, its printable report, its PDF and the API show: one place for all four."""
from __future__ import annotations

from . import engine_text, imaging, outcomes, storage
from .engine import model_card
from .models import Reading


def reading_context(reading: Reading) -> dict:
    """Template context of a reading: outcome in words, probability rows, the model's limits."""
    card = model_card()
    return {
        "reading": reading,
        "outcome": reading.outcome,
        "headline": outcomes.headline(reading.outcome),
        "explanation": outcomes.explanation(reading.outcome),
        "probability_rows": outcomes.probability_rows(reading),
        "reason_text": reason_text(reading),
        "warning_texts": warning_texts(reading),
        # The limits of the model installed now (a reading made by an older model keeps its
        # version number on the page and the report).
        "limitations": engine_text.card_limitations(card)[0],
        "model_name": (card.name if card else None) or "",
        "disclaimer": outcomes.DISCLAIMER,
    }


def reason_text(reading: Reading) -> str:
    """Why the reading has no label, in the active language ("" when it has one)."""
    if not reading.reason:
        return ""
    return engine_text.translate(reading.reason_code, reading.reason_params, reading.reason)


def warning_texts(reading: Reading) -> list[str]:
    return [engine_text.notice_text(warning) for warning in reading.warnings or []]


def overlay_png(reading: Reading, max_side: int | None = None) -> bytes:
    """The stored X-ray with its stored heat map composited on top, for reports."""
    return imaging.overlay_png(
        storage.absolute_path(reading.original_path),
        storage.absolute_path(reading.heatmap_path),
        max_side=max_side,
    )
