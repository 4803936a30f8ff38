"""Catch the figures cxr.evaluation.plots saves, so a test can read what a PNG was drawn from."""
from __future__ import annotations

from matplotlib.figure import Figure

from cxr.evaluation import plots


def keep_drawn_figures(monkeypatch) -> dict[str, Figure]:
    """The figures the plot functions save, by file name, laid out as saved (they are still saved:
    the layout a reader sees is only final once the file is written)."""
    figures: dict[str, Figure] = {}
    save = plots._save

    def keep(fig, out_png):
        figures[out_png.name] = fig
        return save(fig, out_png)

    monkeypatch.setattr(plots, "_save", keep)
    return figures
