"""Site validation in a real browser against a live server, the real (bundled) model and database:
an administrator uploads real labelled X-rays, gets a clear error for a bad labels file, then the
verdict, and finds it on How it works beside the out-of-source section.

Screenshots land in test-output/site-validation-*.png for a person to look at.
"""
from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from webapp.guide.tests.support import RISK_COVERAGE_PNG, trust_section
from webapp.tests.support.browser_helpers import log_in_on_redirect, record_page_errors

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "harbour-copper-meadow-19"


@pytest.fixture
def trust_model_dir(settings, tmp_path):
    """The bundled model with a `trust` section in a copy of its card and the risk-coverage plot."""
    from cxr.inference.card import ModelCard, Trust, resolve_model_dir

    bundled = resolve_model_dir()
    if not (bundled / "model.onnx").is_file():
        pytest.skip(f"bundled model not exported yet ({bundled / 'model.onnx'} is missing)")
    folder = tmp_path / "model"
    folder.mkdir()
    for path in bundled.iterdir():
        if path.suffix == ".png":  # plots are served only from inside the model folder
            shutil.copyfile(path, folder / path.name)
        elif path.name != "model_card.json":
            (folder / path.name).symlink_to(path)
    card = ModelCard.load(bundled)
    trust = trust_section()
    trust["temperature"] = card.temperature or 1.0  # serve with the model's own calibration
    (folder / "risk_coverage.png").unlink(missing_ok=True)
    shutil.copyfile(RISK_COVERAGE_PNG, folder / "risk_coverage.png")
    card.replace(trust=Trust.from_dict(trust), plots={**card.plots, "risk_coverage": "risk_coverage.png"}).write(folder)
    settings.CXR_MODEL_DIR = str(folder)
    return folder


def test_admin_checks_the_model_on_labelled_xrays(page, live_server, test_output, trust_model_dir, media_root,
                                                  xray_paths, tmp_path):
    from webapp.accounts.models import User
    from webapp.screening.models import SiteValidation

    admin = User.objects.create_user(email="admin@example.org", password=PASSWORD, full_name="Dewi Admin",
                                     role="doctor", is_staff=True)
    errors = record_page_errors(page, ignored_statuses=frozenset({400}))
    base = live_server.url
    images = [p for label in sorted(xray_paths) for p in xray_paths[label][:2]]
    truth = {p.name: label for label in sorted(xray_paths) for p in xray_paths[label][:2]}

    log_in_on_redirect(page, base, "/screening/site-validation/", admin.email, PASSWORD)
    expect(page.get_by_role("heading", name="Check the model at this site")).to_be_visible()
    page.screenshot(path=test_output / "site-validation-form.png", full_page=True)

    # A labels file with an unknown class and a missing X-ray: refused, every problem named.
    bad = tmp_path / "bad" / "labels.csv"
    bad.parent.mkdir()
    rows = [(name, label) for name, label in truth.items()]
    bad.write_text("file,label\n" + "".join(f"{n},{lab}\n" for n, lab in rows[1:])
                   + f"{rows[0][0]},tuberculosis\nmissing.png,normal\n")
    page.set_input_files("#id_images", [str(p) for p in images])
    page.set_input_files("#id_labels", str(bad))
    page.get_by_role("button", name="Run the check").click()
    error = page.get_by_test_id("validation-error")
    expect(error).to_contain_text("the label “tuberculosis”")
    expect(error).to_contain_text("missing.png is listed in the labels file but was not uploaded.")
    expect(error).to_contain_text("Nothing was stored.")
    assert SiteValidation.objects.count() == 0
    page.screenshot(path=test_output / "site-validation-error.png", full_page=True)

    # The right labels: the model reads every X-ray, and the report says what it found.
    good = tmp_path / "labels.csv"
    good.write_text("file,label\n" + "".join(f"{n},{lab}\n" for n, lab in rows))
    page.set_input_files("#id_images", [str(p) for p in images])
    page.set_input_files("#id_labels", str(good))
    page.get_by_role("button", name="Run the check").click()
    page.wait_for_url(f"{base}/screening/site-validation/*/")
    validation = SiteValidation.objects.get()
    assert validation.cases == len(images) and validation.run_by == admin
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-verdict", validation.verdict_code)
    expect(verdict).to_contain_text("Too few cases to judge")  # 6 X-rays cannot validate anything
    expect(page.get_by_test_id("site-validation-disclaimer")).to_contain_text("A clinician and an RT-PCR test decide")
    # Beside the card's one figure for collections it never saw: the most likely class, every X-ray.
    top = validation.report["top_class_accuracy"]
    assert top["n"] == validation.read
    expect(page.get_by_test_id("top-class-accuracy")).to_contain_text("37.5%")
    assert not media_root.exists() or not any(media_root.rglob("*"))  # no image was kept
    page.screenshot(path=test_output / "site-validation-report.png", full_page=True)
    # The calibration plot is drawn (SVG, no plotting library): one dot per bin of read X-rays.
    plot = page.get_by_test_id("calibration-plot")
    expect(plot).to_be_visible()
    bins = validation.report["calibration"]
    expect(plot.locator("circle")).to_have_count(len(bins))
    assert sum(b["right"]["n"] for b in bins) == validation.read
    assert plot.bounding_box()["width"] > 200
    page.locator("figure.calibration-plot").screenshot(path=test_output / "site-validation-calibration.png")
    # On a phone the wide tables scroll in their own boxes; the page does not scroll sideways.
    page.set_viewport_size({"width": 360, "height": 740})
    page.context.add_cookies([{"name": "django_language", "value": "id", "url": base}])
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.screenshot(path=test_output / "site-validation-report-phone-id.png", full_page=True)
    page.context.clear_cookies(name="django_language")
    page.set_viewport_size({"width": 1280, "height": 800})

    # How it works: the out-of-source section and this check.
    page.goto(f"{base}/how-it-works/")
    expect(page.locator("#trust h2")).to_have_text("How sure is it on hospitals it never saw")
    expect(page.locator("#trust-table tbody tr")).to_have_count(5)
    assert page.eval_on_selector("#trust img", "img => img.complete && img.naturalWidth > 0")
    row = page.get_by_test_id("site-validations").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(validation.model_version)
    expect(row).to_contain_text("Too few cases to judge")
    page.locator("#trust").screenshot(path=test_output / "site-validation-how-it-works-trust.png")
    page.locator("#site-validations").screenshot(path=test_output / "site-validation-how-it-works-checks.png")

    # The same in Indonesian.
    page.context.add_cookies([{"name": "django_language", "value": "id", "url": base}])
    page.goto(f"{base}/how-it-works/")
    expect(page.locator("#trust h2")).to_have_text("Seberapa yakin model pada rumah sakit yang belum pernah dilihatnya")
    expect(page.get_by_test_id("site-validations")).to_contain_text("Kasus terlalu sedikit untuk dinilai")
    page.locator("#trust").screenshot(path=test_output / "site-validation-how-it-works-trust-id.png")
    # The refused upload's 400 is expected; nothing else may fail (plots, scripts, CSP).
    assert [e for e in errors if "status of 400" not in e] == []
