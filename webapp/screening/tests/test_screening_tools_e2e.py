"""Issue 17 (items 12 and 13 and the screening slips) in a real browser against a live server, the
real model and database, at phone (390 px) and desktop widths, in English and Indonesian:
several files with a progress bar each, sizes in KB/MB, the reference field; the X-ray viewer's
zoom, pan, window/level and heat map; the reading page on a phone (X-ray and actions first,
limits folded); a doctor's side-by-side comparison; the API key's copy button.

Screenshots land in test-output/screening-tools-*.png for a person to look at.
"""
from __future__ import annotations

import re

import pytest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import override
from playwright.sync_api import expect

from webapp.screening import batches
from webapp.screening.models import Reading
from webapp.tests.support.browser_helpers import (
    signed_in_context,
    signed_in_context_in,
    viewer_transform,
)
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
REFUSALS = frozenset({415, 422})  # the page's own answers to a file it refuses


@pytest.fixture
def open_page(open_signed_in_page):
    """open_page(user, path, size="desktop", language="en", **context options) -> a signed-in
    page (the conftest's open_signed_in_page) at one of SIZES, the REFUSALS' statuses not
    counted as errors."""

    def open_(user, path, size="desktop", language="en", **options):
        return open_signed_in_page(user, path, SIZES[size], language, REFUSALS, **options)

    return open_


def shot(page, test_output, name):
    page.wait_for_load_state("networkidle")
    page.screenshot(path=test_output / f"screening-tools-{name}.png", full_page=True)


# --- several files, a progress bar each -------------------------------------------------------

@pytest.mark.parametrize(("size", "language"), [("desktop", "en"), ("phone", "id")])
def test_several_files_upload_with_a_progress_bar_each(open_page, live_server, test_output, model_dir,
                                                      media_root, doctor, xray_paths, tmp_path, size,
                                                      language):
    page = open_page(doctor, "/screening/upload/", size, language)
    note = tmp_path / "note.txt"
    note.write_text("not an X-ray\n" * 3)  # 39 bytes: refused by the page, sized in bytes
    files = [xray_paths["covid"][0], note, xray_paths["normal"][0]]
    page.set_input_files("#id_image", [str(f) for f in files])
    items = page.get_by_test_id("upload-queue").get_by_test_id("upload-item")
    expect(items).to_have_count(3)
    sizes = [items.nth(i).locator(".queue-size").inner_text() for i in range(3)]
    with override(language):  # as Django's filesizeformat gives sizes on the other pages
        assert sizes[1] == filesizeformat(39)
        for index in (0, 2):
            assert sizes[index] == filesizeformat(files[index].stat().st_size)
    expect(items.nth(1).get_by_test_id("upload-error")).to_be_visible()  # refused before sending
    expect(items.nth(0).locator("progress")).to_be_visible()
    expect(items.nth(2).locator("progress")).to_be_visible()
    page.locator("#id_patient_reference").fill("RM-77")
    expect(page.locator("[data-submit]")).to_contain_text("3")
    shot(page, test_output, f"upload-chosen-{size}-{language}")

    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    page.locator("[data-submit]").click()
    expect(page.get_by_test_id("upload-summary")).to_be_visible(timeout=60_000)
    readings = list(Reading.objects.order_by("id"))
    assert len(readings) == 2 and len(posts) == 2  # one request per readable file
    assert {r.patient_reference for r in readings} == {"RM-77"}
    for index, reading in ((0, readings[0]), (2, readings[1])):
        row = items.nth(index)
        expect(row).to_have_class(re.compile(r"\bis-done\b"))
        assert row.locator("progress").evaluate("bar => bar.value") == 100
        expect(row.locator("a")).to_have_attribute("href", f"/screening/readings/{reading.pk}/")
    expect(page.get_by_test_id("upload-summary")).to_contain_text("2")
    assert page.url.endswith("/screening/upload/")  # several files: stay and list them
    shot(page, test_output, f"upload-done-{size}-{language}")
    assert page.errors == []


def test_a_single_small_file_is_sized_in_kilobytes(open_page, test_output, model_dir, media_root, patient,
                                                   tmp_path):
    page = open_page(patient, "/screening/upload/")
    small = tmp_path / "small.png"
    small.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20_000)
    page.set_input_files("#id_image", str(small))
    expect(page.locator("[data-file-name]")).to_have_text("small.png · 19.5\xa0KB")  # filesizeformat


def test_several_files_without_javascript(chromium_browser, live_server, test_output, model_dir, media_root,
                                          patient, xray_paths, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    with signed_in_context(chromium_browser, live_server.url, patient,
                           java_script_enabled=False, viewport=PHONE) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/screening/upload/")
        page.set_input_files("#id_image", [str(xray_paths["covid"][0]), str(xray_paths["normal"][0])])
        page.get_by_role("button", name="Screen this X-ray").click()  # a plain form POST
        # The files are queued (batches.py). The page never reloads itself (a meta refresh
        # restarted screen readers every few seconds): its link does, when the reader asks.
        expect(page.get_by_test_id("batch-item")).to_have_count(2)
        assert page.locator('meta[http-equiv="refresh"]').count() == 0
        batches.run_queued()  # the worker's jobs, here in the test's process
        page.wait_for_timeout(4_000)  # longer than the old 3 s refresh: still the queued rows
        results = page.get_by_test_id("batch")
        expect(results).not_to_contain_text("2 of 2 files were read.")
        page.get_by_role("link", name="Reload to see the progress").click()
        expect(results).to_contain_text("2 of 2 files were read.")
        expect(results.locator('[data-state="done"]')).to_have_count(2)
        assert Reading.objects.count() == 2
        page.screenshot(path=test_output / "screening-tools-upload-no-js-phone.png", full_page=True)


@pytest.mark.parametrize("language", ["en", "id"])
def test_an_oversized_upload_without_javascript_keeps_the_reference(chromium_browser, live_server, test_output,
                                                                    model_dir, media_root, doctor, xray_paths,
                                                                    settings, tmp_path, language):
    """Several files over the size limit in one plain form POST: refused, and the reference typed is
    still in its field on the page that says so (the browser never keeps the chosen files)."""
    settings.DATA_DIR = tmp_path
    settings.MAX_UPLOAD_BYTES = 20_000
    with signed_in_context_in(chromium_browser, live_server.url, doctor, language,
                              java_script_enabled=False, viewport=PHONE) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/screening/upload/")
        page.set_input_files("#id_image", [str(xray_paths["covid"][0]), str(xray_paths["normal"][0])])
        page.fill("#id_patient_reference", "Ward 7 / bed 2")
        page.locator("#upload-form [type=submit]").click()  # a plain form POST
        expect(page.get_by_test_id("upload-error")).to_have_attribute("data-code", "too_large")
        expect(page.locator("#id_patient_reference")).to_have_value("Ward 7 / bed 2")
        expect(page.get_by_test_id("typed-not-kept")).to_have_count(0)
        assert Reading.objects.count() == 0
        page.screenshot(path=test_output / f"screening-tools-upload-no-js-too-large-{language}.png", full_page=True)


# --- the X-ray viewer ---------------------------------------------------------------------------

@pytest.mark.parametrize(("size", "language"), [("desktop", "en"), ("phone", "id")])
def test_zoom_pan_window_level_and_heat_map(open_page, test_output, model_dir, media_root, patient, xray_paths,
                                            size, language):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    page = open_page(patient, f"/screening/readings/{reading.pk}/", size, language)
    page.wait_for_load_state("networkidle")
    frame = page.locator("[data-viewer-frame]")
    assert viewer_transform(page) == (1.0, 0.0, 0.0)

    page.locator("[data-zoom-in]").click()
    page.locator("[data-zoom-in]").click()
    scale, x, y = viewer_transform(page)
    assert abs(scale - 1.5625) < 1e-3 and x < 0 and y < 0  # zoomed about the middle
    expect(page.locator("[data-zoom-level]")).to_have_text("156%")

    box = frame.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2 + 40, steps=5)
    page.mouse.up()
    _scale, x2, y2 = viewer_transform(page)
    assert x2 > x and y2 > y  # dragged right and down

    page.locator("[data-level]").fill("-20")
    page.locator("[data-window]").fill("200")
    xray_filter = page.locator("img.xray-original").evaluate("img => img.style.filter")
    assert xray_filter.startswith("url(") and f"window-level-{reading.pk}" in xray_filter
    slope = page.locator("[data-window-level] feFuncR").get_attribute("slope")
    intercept = page.locator("[data-window-level] feFuncR").get_attribute("intercept")
    assert float(slope) == 2.0 and abs(float(intercept) - (0.5 - 0.7 * 2)) < 1e-3  # level 0.7, window 0.5
    assert page.locator("img.xray-heatmap").evaluate("img => img.style.filter") == ""  # colours kept
    page.get_by_role("checkbox", name=re.compile("heat map|peta panas", re.I)).uncheck()
    expect(page.locator("img.xray-heatmap")).to_be_hidden()
    page.locator(".xray-viewer").screenshot(path=test_output / f"screening-tools-viewer-{size}-{language}.png")
    page.get_by_role("checkbox", name=re.compile("heat map|peta panas", re.I)).check()
    expect(page.locator("img.xray-heatmap")).to_be_visible()

    frame.focus()
    page.keyboard.press("+")
    assert viewer_transform(page)[0] > scale
    page.locator("[data-view-reset]").click()
    assert viewer_transform(page) == (1.0, 0.0, 0.0)
    assert page.locator("img.xray-original").evaluate("img => img.style.filter") == ""
    assert page.errors == []


# --- the reading page on a phone ---------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "id"])
def test_on_a_phone_the_xray_and_actions_come_first(open_page, test_output, model_dir, media_root, patient,
                                                    xray_paths, language):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    page = open_page(patient, f"/screening/readings/{reading.pk}/", "phone", language)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=test_output / f"screening-tools-reading-phone-{language}.png")  # the first screen
    shot(page, test_output, f"reading-phone-full-{language}")
    screen = PHONE["height"]
    image = page.locator("img.xray-original").bounding_box()
    assert image["y"] < screen - 150, image  # the X-ray shows on the first screen
    for test_id in ("report-link", "pdf-link", "delete-link"):
        button = page.get_by_test_id(test_id).bounding_box()
        assert button["y"] + button["height"] < 2 * screen, (test_id, button)
        assert button["x"] >= 0 and button["x"] + button["width"] <= PHONE["width"]
    limits = page.get_by_test_id("limitations-box")
    assert limits.evaluate("details => details.open") is False  # folded until asked
    expect(page.get_by_test_id("limitations")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scroll
    limits.locator("summary").click()
    expect(page.get_by_test_id("limitations")).to_be_visible()


def test_on_a_desktop_the_xray_sits_beside_the_result(open_page, test_output, model_dir, media_root, patient,
                                                       xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    page = open_page(patient, f"/screening/readings/{reading.pk}/")
    result = page.get_by_test_id("outcome").bounding_box()
    image = page.locator("img.xray-original").bounding_box()
    assert image["x"] > result["x"] + result["width"] - 1 and abs(image["y"] - result["y"]) < 80
    shot(page, test_output, "reading-desktop-en")


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_label_says_how_such_labels_did_on_collections_the_model_never_saw(open_page, test_output, model_dir,
                                                                            media_root, patient, xray_paths,
                                                                            language):
    """Without an out-of-source fit in its card, a label rests on seen-source numbers: the page
    says so beside the result, with the card's own measurement, not among the image's warnings."""
    from cxr.inference.card import ModelCard

    card = ModelCard.load(model_dir)
    source = (card.metrics or {}).get("source") or {}
    if card.trust or not source.get("per_class"):
        pytest.skip("the served card has an out-of-source fit, or no source-split measurement")
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    if reading.label is None:
        pytest.skip("this X-ray got no label from the served model")
    # The label's own precision out of source, not the overall accuracy.
    unseen = source["per_class"][reading.label]["ppv"]
    assert f"{100 * unseen['value']:.0f}" != f"{100 * source['accuracy']['value']:.0f}"
    page = open_page(patient, f"/screening/readings/{reading.pk}/", "desktop", language)
    percent = f"{100 * unseen['value']:.0f}%"
    short = page.get_by_test_id("label-caveat-short")
    expect(short).to_be_visible()
    assert percent in short.inner_text()
    # A caution of its own under the result, not inside the coloured result box.
    assert page.get_by_test_id("outcome").locator("[data-testid=label-caveat-short]").count() == 0
    whole = page.get_by_test_id("label-caveat")
    expect(whole).to_be_visible()
    # The Wilson interval of the counts the caveat quotes (cxr/inference/limitations.py).
    from cxr.inference.site_check import wilson_interval

    column = source["classes"].index(reading.label)
    said = sum(row[column] for row in source["confusion_matrix"])
    low, high = (f"{100 * v:.0f}" for v in wilson_interval(source["confusion_matrix"][column][column], said))
    assert f"{low}-{high}%" in whole.inner_text()
    assert short.inner_text().startswith("Caution:" if language == "en" else "Perhatian:")
    warnings = page.get_by_test_id("warnings")
    if warnings.count():
        assert "label_unverified" not in warnings.inner_html()
    # The details follow the result directly (no empty band while the X-ray column is taller).
    caveat = short.bounding_box()
    assert caveat["y"] >= sum(page.get_by_test_id("outcome").bounding_box()[k] for k in ("y", "height"))
    details = page.locator(".reading-details").bounding_box()
    assert 0 <= details["y"] - (caveat["y"] + caveat["height"]) < 60
    shot(page, test_output, f"reading-label-caveat-{language}")
    # The caveat leads to the measurement behind it: How it works, at its out-of-source section.
    page.get_by_test_id("label-caveat-link").click()
    page.wait_for_url("**/how-it-works/#trust")
    expect(page.locator("#trust")).to_be_in_viewport()


# --- a doctor compares one patient's readings ----------------------------------------------------

@pytest.mark.parametrize(("size", "language"), [("desktop", "en"), ("phone", "id")])
def test_doctor_compares_a_patients_readings_side_by_side(open_page, test_output, model_dir, media_root, doctor,
                                                         xray_paths, size, language):
    first = store_reading(doctor, model_dir, xray_paths["covid"][0], patient_reference="RM-0042")
    second = store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="RM-0042")
    page = open_page(doctor, f"/screening/readings/{second.pk}/", size, language)
    page.get_by_test_id("compare-link").click()
    items = page.get_by_test_id("compare-item")
    expect(items).to_have_count(2)
    caveat = page.get_by_test_id("results-caveat")  # as the reading page's disclaimer, above the results
    expect(caveat).to_be_visible()
    assert caveat.bounding_box()["y"] < items.nth(0).bounding_box()["y"]
    expect(items.nth(0).locator("a").first).to_have_attribute("href", f"/screening/readings/{first.pk}/")
    page.wait_for_load_state("networkidle")
    boxes = [items.nth(i).bounding_box() for i in range(2)]
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 2 and boxes[1]["x"] > boxes[0]["x"]  # side by side
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    for i in range(2):
        assert items.nth(i).locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    shot(page, test_output, f"compare-{size}-{language}")


@pytest.mark.parametrize(("size", "language"), [("desktop", "en"), ("phone", "id")])
def test_compare_shows_the_spellings_it_takes_as_one_patient(open_page, test_output, model_dir, media_root, doctor,
                                                            xray_paths, size, language):
    store_reading(doctor, model_dir, xray_paths["covid"][0], patient_reference="ab-12")
    store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="AB-12")
    page = open_page(doctor, "/screening/compare/?patient=ab-12", size, language)
    spellings = page.get_by_test_id("compare-spellings")
    expect(spellings).to_be_visible()
    expect(spellings.locator("li")).to_have_count(2)
    items = page.get_by_test_id("compare-item")
    expect(items).to_have_count(2)
    # Above the cards, and each card names its own spelling.
    assert spellings.bounding_box()["y"] < items.nth(0).bounding_box()["y"]
    expect(items.nth(0).get_by_test_id("compare-item-reference")).to_contain_text("ab-12")
    expect(items.nth(1).get_by_test_id("compare-item-reference")).to_contain_text("AB-12")
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    page.wait_for_load_state("networkidle")
    shot(page, test_output, f"compare-spellings-{size}-{language}")


def test_a_reference_is_never_broken_at_its_hyphen(open_page, test_output, model_dir, media_root,
                                                   doctor, xray_paths):
    """On a phone the two cards sit side by side, and "Kode pasien: MRN-9" broke after "MRN-":
    on the page that tells "MRN-9" from "mrn-9" (an audit as an Indonesian doctor)."""
    store_reading(doctor, model_dir, xray_paths["covid"][0], patient_reference="MRN-9")
    store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="mrn-9")
    page = open_page(doctor, "/screening/compare/?patient=MRN-9", "phone", "id")
    page.set_viewport_size({"width": 360, "height": 780})  # the narrowest phone the app serves
    page.reload()
    expect(page.get_by_test_id("compare-item")).to_have_count(2)
    lines = page.evaluate("""[...document.querySelectorAll('main strong')]
        .filter(e => /mrn-9/i.test(e.textContent))
        .map(e => { const r = document.createRange(); r.selectNodeContents(e);
                    return [e.textContent, new Set([...r.getClientRects()].map(c => Math.round(c.top))).size]; })""")
    assert len(lines) >= 4 and all(count == 1 for _, count in lines), lines
    shot(page, test_output, "compare-reference-phone-id")


# --- the API key's copy button ----------------------------------------------------------------------

def test_the_new_api_key_can_be_copied(open_page, test_output, patient, live_server, user_password):
    page = open_page(patient, "/screening/api-token/",
                     permissions=["clipboard-read", "clipboard-write"])
    page.locator("#id_current_password").fill(user_password)
    page.locator("button[name=action][value=create]").click()
    key = page.get_by_test_id("new-api-key").inner_text().strip()
    button = page.locator("[data-copy=new-api-key]")
    expect(button).to_be_visible()
    button.click()
    expect(page.locator("[data-copy-status]")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == key
    shot(page, test_output, "api-key-copied")


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_viewer_names_what_it_shows(open_page, patient, model_dir, media_root, xray_paths, language):
    """The viewer frame is role="img", which hides its pictures from screen readers: its name
    says what the X-ray and (while shown) the heat map are for this reading, in the reader's
    language, then how to use it. It once said only "X-ray viewer: drag to move ..."."""
    from django.utils import translation

    from webapp.screening import outcomes

    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    page = open_page(patient, f"/screening/readings/{reading.pk}/", language=language)
    with translation.override(language):
        headline = str(outcomes.headline(reading.outcome))
        heat = translation.gettext("Heat map over it: the warmer a region, the more it drove the result "
                                   "“%(headline)s”. A hint for a clinician, not a finding.") % {"headline": headline}
    frame = page.locator("[data-viewer-frame]")
    name = frame.get_attribute("aria-label")
    assert f"{reading.image_width} × {reading.image_height}" in name and heat in name
    if language == "id":
        assert "piksel" in name and "Peta panas" in name
    # How to use it, pinching included (a phone audit: the name said nothing of the pinch).
    assert ("cubit" if language == "id" else "pinch") in name
    expect(frame).to_have_role("img")
    expect(frame).to_have_accessible_name(re.compile(re.escape(heat)))
    page.locator("[data-heatmap-toggle]").uncheck()
    assert heat not in frame.get_attribute("aria-label")  # the heat map is hidden: not described
