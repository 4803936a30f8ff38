"""The PDF report's fonts, and which text they can print.

reportlab's built-in Helvetica has only Latin-1 glyphs: a patient reference or note in Cyrillic,
Greek, Turkish or Vietnamese printed as black boxes. DejaVu Sans covers those scripts; it is not a
Python package, so it is taken from the server's fonts (Debian and Ubuntu: fonts-dejavu-core,
which .ci/run installs). Without it the report falls back to Helvetica, with a log line saying so.

Two things no font here fixes: scripts the font lacks (Chinese, Japanese, Korean, Thai ...) and
right-to-left scripts (Arabic, Hebrew), which reportlab prints unjoined and in reverse without
the HarfBuzz shaper. For a patient's reference a garbled or reversed name is worse than none, so
such text is replaced by a sentence pointing to the reading's web page, which shows it rightly.
"""
from __future__ import annotations

import functools
import logging
import unicodedata
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

logger = logging.getLogger(__name__)

# Where Linux distributions put DejaVu Sans: Debian/Ubuntu, Fedora, Arch.
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu-sans-fonts",
             "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")
# reportlab's built-in faces (what its sample style sheet names) and the DejaVu file for each.
FACES = {
    "Helvetica": "DejaVuSans.ttf",
    "Helvetica-Bold": "DejaVuSans-Bold.ttf",
    "Helvetica-Oblique": "DejaVuSans-Oblique.ttf",
    "Helvetica-BoldOblique": "DejaVuSans-BoldOblique.ttf",
}
_RIGHT_TO_LEFT = {"R", "AL"}


@functools.cache
def faces() -> dict[str, str]:
    """{built-in face: the face to use instead}, registering DejaVu Sans once; {} when the
    server has no DejaVu Sans (Helvetica is then used, Latin-1 only)."""
    folder = next((Path(d) for d in FONT_DIRS if all((Path(d) / f).is_file() for f in FACES.values())), None)
    if folder is None:
        logger.warning("DejaVu Sans not found in %s: PDF reports print only Latin-1 text "
                       "(install fonts-dejavu-core)", ", ".join(FONT_DIRS))
        return {}
    names = {}
    for builtin, file in FACES.items():
        name = Path(file).stem
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))
        names[builtin] = name
    pdfmetrics.registerFontFamily("DejaVuSans", normal=names["Helvetica"], bold=names["Helvetica-Bold"],
                                  italic=names["Helvetica-Oblique"], boldItalic=names["Helvetica-BoldOblique"])
    return names


def face(builtin: str) -> str:
    """The face to draw with in place of reportlab's built-in `builtin`."""
    return faces().get(builtin, builtin)


def use_in(styles) -> None:
    """Point every style of a reportlab style sheet (text and bullets) at the report's faces."""
    for style in styles.byName.values():
        for attribute in ("fontName", "bulletFontName"):
            if hasattr(style, attribute):
                setattr(style, attribute, face(getattr(style, attribute)))


@functools.cache
def _covered() -> frozenset[int] | None:
    """The code points the regular face has glyphs for; None for Helvetica (Latin-1)."""
    name = faces().get("Helvetica")
    return frozenset(pdfmetrics.getFont(name).face.charToGlyph) if name else None


def can_print(text: str) -> bool:
    """Whether the report's font prints `text` as written: every character has a glyph and
    none is right-to-left (which would come out unjoined and reversed)."""
    covered = _covered()
    for ch in text:
        if ch.isspace():
            continue
        if unicodedata.bidirectional(ch) in _RIGHT_TO_LEFT:
            return False
        if (ord(ch) > 0xFF) if covered is None else (ord(ch) not in covered):
            return False
    return True
