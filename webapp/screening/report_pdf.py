"""The printable PDF report of one reading (reportlab), the same content as the HTML report."""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.http import HttpResponse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    Image,
    KeepTogether,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from webapp.accounts.timezones import format_datetime, zone_of

from . import pdf_fonts, storage
from .access import private_headers
from .forms import is_doctor
from .presentation import overlay_png, reading_context


def _image(png: bytes, width: float) -> Image:
    w, h = ImageReader(io.BytesIO(png)).getSize()
    return Image(io.BytesIO(png), width=width, height=width * h / w)


def _pictures(reading, context: dict, p, small) -> list:
    """The X-ray and its heat map side by side, each with its caption. A picture lost from storage
    (disk trouble, a partial restore) or damaged there is said in words in its place (reading_context logged it for
    the operator): the reading's findings are in the database, and the person's copy of them should
    not be lost with a file (the pictures' own routes answer 404)."""
    width = 82 * mm
    try:
        original = _image(storage.absolute_path(reading.original_path).read_bytes(), width)
    except (ValueError, OSError):  # lost, unreadable, or not an image any more (damaged)
        return [p(_("The X-ray and heat map of this reading are missing from the server's storage; "
                    "the error is logged for the operator. The findings above are as they were "
                    "read."), small)]
    try:
        overlay = _image(overlay_png(reading, max_side=1024), width)
        heatmap_caption = " ".join(filter(None, [
            _("Heat map: regions that drove the model's output, not where disease is") + ".",
            context.get("heatmap_caption_note")]))
    except (ValueError, OSError):  # lost, unreadable, or not an image any more (damaged)
        overlay = p(_("The heat map of this reading is missing from the server's storage; the "
                      "error is logged for the operator."), small)
        heatmap_caption = ""
    images = Table([[original, overlay],
                    [p(_("X-ray"), small), p(heatmap_caption, small)]],
                   colWidths=[width + 4 * mm] * 2)
    # Each caption starts right under its picture (a cell's content sits at its foot by default:
    # the short "X-ray" lined up with the last line of the heat map's longer caption).
    images.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [images]


def _numbered_canvas(footer: str):
    """A canvas class that writes "<footer> · Page n of N" at the foot of every page: pages are
    kept until the end, when their count is known."""
    label = _("Page %(page)s of %(pages)s")

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(pdf_fonts.face("Helvetica"), 8)
                self.setFillColor(colors.HexColor("#556472"))
                text = f"{footer} · " if footer else ""
                text += label % {"page": self._pageNumber, "pages": total}
                self.drawRightString(A4[0] - 18 * mm, 9 * mm, text)
                super().showPage()
            super().save()

    return NumberedCanvas


def shows_reference(reading) -> bool:
    """Whether the report has a patient reference row: when the reading has a reference, or its
    owner is a verified doctor (who can give one, so "—" says none was given). A patient's account
    keeps no reference, and a "—" there reads as something missing from the report."""
    return bool(reading.patient_reference) or is_doctor(reading.owner)


def _as_typed(text: str) -> str:
    """A person's own text (reference, note) as typed, or, where the report's font would garble
    it (pdf_fonts.can_print), a pointer to the web page, which shows it rightly."""
    if pdf_fonts.can_print(text):
        return text
    return _("(written in a script this PDF cannot print; the reading's web page shows it)")


def response(reading, request=None) -> HttpResponse:
    """The PDF of `reading` as a private, inline HTTP response (pages and API alike). With the
    `request`, the PDF gives the full address of the guide page its next steps come from (a
    printed page has no link to follow)."""
    guide_url = ""
    if request is not None:
        from django.urls import NoReverseMatch, reverse

        try:
            guide_url = request.build_absolute_uri(reverse("guide:next_steps", args=[reading.outcome]))
        except NoReverseMatch:
            guide_url = ""
    pdf = HttpResponse(build(reading, guide_url), content_type="application/pdf")
    pdf["Content-Disposition"] = f'inline; filename="cxr-reading-{reading.pk}.pdf"'
    return private_headers(pdf)


def build(reading, guide_url: str = "") -> bytes:
    """The PDF as bytes: the reading page's content (presentation.reading_context)."""
    context = reading_context(reading)
    styles = getSampleStyleSheet()
    pdf_fonts.use_in(styles)
    for heading in ("Heading2", "Heading3"):  # never alone at the foot of a page
        styles[heading].keepWithNext = 1
    body, small = styles["BodyText"], styles["Italic"]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=15 * mm,
        bottomMargin=18 * mm, title=_("Chest X-ray screening report"), author="cxr-screening",
    )

    def p(text, style=body):
        return Paragraph(escape(str(text)), style)

    # In the owner's time zone, labelled with it (the API serves the PDF without a browser).
    created = format_datetime(reading.created_at, zone_of(reading.owner))
    model = " ".join(part for part in (context["model_name"], reading.model_version) if part) or "—"
    facts = [
        *([[p(_("Patient reference")), p(_as_typed(reading.patient_reference) or "—")]]
          if shows_reference(reading) else []),
        [p(_("Uploaded")), p(created)],
        *([[p(_("X-ray taken")), p(date_format(reading.taken_on, "DATE_FORMAT"))]] if reading.taken_on else []),
        [p(_("Image")), p(f"{reading.source_format.upper()}, {reading.image_width} × {reading.image_height}")],
        [p(_("Model version")), p(model)],
    ]
    facts_table = Table(facts, colWidths=[45 * mm, None], hAlign="LEFT")
    facts_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))

    # A Paragraph ignores the table's ALIGN: the numbers' column is right-aligned by its style.
    number = ParagraphStyle("Number", parent=body, alignment=TA_RIGHT)
    prob_rows = [[p(_("Class")), p(_("Probability"), number)]] + [
        [p(row["name"]), p(row["percent_text"], number)] for row in context["probability_rows"]
    ]
    prob_table = Table(prob_rows, colWidths=[80 * mm, 35 * mm], hAlign="LEFT")
    prob_table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black)]))

    images = _pictures(reading, context, p, small)

    story = [
        Paragraph(escape(_("Chest X-ray screening report")), styles["Title"]),
        p(context["disclaimer"], styles["Heading4"]),
        facts_table,
        Spacer(1, 4 * mm),
        Paragraph(escape(context["headline"]), styles["Heading2"]),
        p(context["explanation"]),
    ]
    if context["outcome"] == "uncertain" and context["reason_detail"]:
        story += [Spacer(1, 2 * mm), p(context["reason_detail"])]
    if context["set_text"]:
        story += [Paragraph(escape(_("What it could be (the prediction set)")), styles["Heading3"]),
                  Paragraph(f"<b>{escape(context['set_text'])}</b>", body)]
        if context["set_level_text"]:
            story += [p(context["set_level_text"], small)]
    if context["warning_texts"]:  # before the numbers: they qualify them
        story += [Paragraph(escape(_("Warnings")), styles["Heading3"])]
        story += [p(f"• {w}") for w in context["warning_texts"]]
    story += [
        Spacer(1, 3 * mm),
        prob_table,
        Spacer(1, 1 * mm),
        p(context["calibration_note"], small),  # as on the page: the numbers are read with it
        Spacer(1, 4 * mm),
        KeepTogether(images),  # never the pictures on one page and their captions on the next
    ]
    if context["next_steps"]:  # the guide's own steps for this outcome, never split from their heading
        story += [KeepTogether([
            Paragraph(escape(str(context["next_steps_title"])), styles["Heading3"]),
            p(_("The guide's steps for this result; its page explains the care at home and the "
                "warning signs they refer to.") + (f" {guide_url}" if guide_url else ""), small),
            ListFlowable([ListItem(p(step), value=i) for i, step in enumerate(context["next_steps"], 1)],
                         bulletType="1")])]
    story += [Spacer(1, 2 * mm), Paragraph(f"<b>{escape(str(context['emergency']))}</b>", body)]
    if context["limitations"]:
        story += [Paragraph(escape(_("Known limits of the model")), styles["Heading3"])]
        story += [p(f"• {item}") for item in context["limitations"]]
    if reading.note:
        # Its lines kept, as the page's linebreaksbr keeps them: a paragraph ran them together.
        lines = _as_typed(reading.note).replace("\r\n", "\n").replace("\r", "\n").split("\n")
        story += [Paragraph(escape(_("Note")), styles["Heading3"]),
                  Paragraph("<br/>".join(escape(line) for line in lines), body)]
    doc.build(story, canvasmaker=_numbered_canvas(_("Model %(model)s") % {"model": model}))
    return out.getvalue()
