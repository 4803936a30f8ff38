"""axe-core (WCAG 2.0, 2.1 and 2.2, levels A and AA) on every page a person reaches, in English
at 1280 px and in Indonesian at 360 px, against a live server with the real model.

One case per page (view), in one browser context per language and width; a page with states
is checked in each. A visitor's: landing, sign in, register as a patient and as a doctor (the
doctor's fields shown), the password-reset steps (a good and a bad link), the hospital finder
(before a search, after a typed search, opened from a shared link with a search in it, for a
place it does not know), the next steps and each outcome's, How it works (the model card),
the 404 page, the lockout after wrong passwords. A patient's: home, upload, the upload's refusal of a picture that is no X-ray, a
labelled and an uncertain reading, its report and delete pages, the history (with readings and
empty), a multi-file upload's page with a read and a refused file, profile, password change
and its done page, API keys, delete my account, the API guide (as it opens, its Authorize
dialog, and an upload's "Try it out" form), the 403 page (a doctor's page). A pending doctor's banner (on
home). A verified doctor's: upload, a reading with the annotation form, the history with its
filters, compare (the list and one patient). A staff member's: the site check and a stored one.

Skipped, and why:
- /admin/: Django's own admin, not the product's templates (its pages have their own tests);
- JSON, CSV, PNG, PDF and ZIP answers (the API under /api/v1/ other than its guide,
  nearest.json, places.json, readings.csv, the images, report.pdf, my-data.zip, a batch's
  status): no HTML for axe to check;
- pages that only answer a form sent (logout, a reading's annotate and delete POSTs, the
  language switch): they redirect to pages checked here;
- the 400, 405 and failed-security-check pages: _error_page.html, as the 404 and 403 pages
  checked here, reached only by a broken or outdated request;
- the 500 page: a page of its own that only a crash of the server shows.

Not counted as a failure (see not_a_failure): axe's target-size on the finder's map markers
that cover each other, which WCAG 2.5.8 exempts (the list says what a marker's popup says).

A failure lists, per page, language and width, each violation's rule, impact, help text and the
offending nodes (CSS selectors), so that the template to fix can be found. Screenshots land in
test-output/axe-<page>-<language>-<width>.png.
"""
from __future__ import annotations

import io
import json
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from io import StringIO

import numpy as np
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from PIL import Image

from webapp.tests.support.browser_helpers import BROWSER_LOCALES, signed_in_context
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Axe()
# Every rule of WCAG 2.0, 2.1 and 2.2 at levels A and AA; details of the violations only (axe
# then skips collecting every passing node, a third of its time on a long page).
WCAG_A_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
             "resultTypes": ["violations"]}
# English on a desktop, Indonesian on a small phone: the longer words in the narrower page.
VARIANTS = [("en", {"width": 1280, "height": 900}), ("id", {"width": 360, "height": 740})]
OUTCOMES = ["covid", "pneumonia", "normal", "uncertain", "refused"]  # each has a next-steps page


class World:
    """The accounts and stored readings a page needs, made on first use within one test."""

    def __init__(self, make_user, model_dir, xray_paths, hospitals_dir):
        self.make_user, self.model_dir, self.xray_paths = make_user, model_dir, xray_paths
        self.hospitals_dir = hospitals_dir

    @cached_property
    def patient(self):
        return self.make_user(email="axe-patient@example.org", full_name="Ana Patient")

    @cached_property
    def doctor(self):
        return self.make_user(email="axe-doctor@example.org", full_name="Budi Doctor", role="doctor")

    @cached_property
    def pending_doctor(self):
        return self.make_user(email="axe-pending@example.org", role="doctor", doctor_verified_at=None,
                              licence_number="STR-1234", workplace="RS Harapan")

    @cached_property
    def staff(self):
        return self.make_user(email="axe-staff@example.org", role="doctor", is_staff=True)

    def user(self, who: str):
        return None if who == "visitor" else getattr(self, who)

    def reading(self, owner, image_class="covid", **changes):
        return store_reading(owner, self.model_dir, self.xray_paths[image_class][0], **changes)

    @cached_property
    def labelled(self):
        return self.reading(self.patient)

    @cached_property
    def uncertain(self):
        from cxr.inference.notices import Notice

        reason = Notice("uncertain", percent=53.3, label="normal", threshold_percent=60)
        # Probabilities that agree with the reason (the stored X-ray's own say 99% normal).
        return self.reading(self.patient, "normal", label=None, low_confidence=True, reason=str(reason),
                            reason_code=reason.code, reason_params=reason.params,
                            probabilities={"normal": 0.533, "covid": 0.301, "pneumonia": 0.166})

    def history(self, owner):
        """Three readings of `owner`, a doctor's with one patient reference (the compare page)."""
        doctor = owner.role == "doctor"
        return [self.reading(owner, label, **({"patient_reference": "MRN-7"} if doctor else {}))
                for label in ("covid", "pneumonia", "normal")]

    def batch(self):
        """A finished multi-file upload: one file read, one refused (as the queue stores it)."""
        from webapp.screening.models import BatchItem, UploadBatch

        batch = UploadBatch.objects.create(owner=self.patient)
        BatchItem.objects.create(batch=batch, index=0, state="done", size=1000, reading=self.labelled)
        BatchItem.objects.create(
            batch=batch, index=1, state="refused", size=1000, refusal_code="not_a_chest_xray",
            refusal_status=422, refusal_title="This image does not look like a frontal chest X-ray",
            refusal_message="The image is in colour; X-rays are grey.")
        return batch

    def site_check(self):
        """A stored site check of 40 X-rays (most likely class right 32 of 40)."""
        from cxr.inference.card import ModelCard
        from cxr.inference.site_check import SiteCase, card_figures, site_report
        from webapp.screening.models import SiteValidation

        card = ModelCard.from_dict(json.loads((self.model_dir / "model_card.json").read_text()))
        classes = list(card.classes)

        def case(truth, top, label):
            return SiteCase(truth, label, False, {c: (0.8 if c == top else 0.1) for c in classes}, None)

        cases = ([case("covid", "covid", "covid")] * 32 + [case("normal", "covid", "covid")] * 4
                 + [case("normal", "covid", None)] * 4)
        report = site_report(cases, classes, **card_figures(card))
        return SiteValidation.objects.create(
            run_by=self.staff, model_version="bundled", cases=40, read=40, report=report,
            verdict_code=report["verdict"]["code"], verdict_text=report["verdict"]["text"])

    def hospitals(self):
        call_command("import_hospitals", str(self.hospitals_dir / "indonesia_covid_referral_hospitals.csv"),
                     stdout=StringIO(), stderr=StringIO())


def colour_photo() -> bytes:
    """A colourful picture, not an X-ray: the upload refuses it."""
    rng = np.random.default_rng(7)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (400, 400, 3), dtype="uint8")).save(buffer, format="PNG")
    return buffer.getvalue()


# --- what a page does after it opens ------------------------------------------------------------

def choose_doctor(page) -> None:
    page.locator("input[name=role][value=doctor]").check()
    page.locator("[data-doctor-only]").wait_for()


def upload_a_photo(page) -> None:
    page.set_input_files("#id_image", files=[{"name": "photo.png", "mimeType": "image/png",
                                              "buffer": colour_photo()}])
    page.locator("[data-submit]").click()
    page.locator("#upload-result [data-testid=upload-error]").first.wait_for(timeout=30_000)


def search_surabaya(page) -> None:
    page.locator("#id_place").fill("Surabaya")
    page.locator("#nearest-form button[type=submit]").click()
    page.locator("#hospital-list").wait_for()
    page.locator("#hospital-map .leaflet-marker-icon").first.wait_for()


def lock_out(page) -> None:
    """Wrong passwords until django-axes locks the account (AXES_FAILURE_LIMIT, 5)."""
    for _ in range(10):
        if page.locator("input[name=password]").count() == 0:
            return
        page.locator("input[name=username]").fill("axe-patient@example.org")
        page.locator("input[name=password]").fill("not-the-password")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
    raise AssertionError("ten wrong passwords and no lockout page")


def login_of_the_patient(world: World) -> str:
    world.patient  # noqa: B018 - the account whose password is typed wrongly
    return "/accounts/login/"


def map_drawn(page) -> None:
    page.locator("#hospital-map .leaflet-marker-icon").first.wait_for()


@dataclass
class Page:
    """A page (one view), checked as it opens at `path` and then in each of its `states`: (name,
    path or None to stay, what the person does there) after it, in one browser context."""

    name: str
    who: str  # visitor, patient, doctor, pending_doctor, staff
    path: Callable[[World], str] | str
    then: Callable | None = None  # what the person does on the page before it is checked
    needs: tuple[str, ...] = field(default=())  # "hospitals"
    states: tuple[tuple[str, str | None, Callable | None], ...] = field(default=())

    def steps(self, world: World) -> list[tuple[str, str | None, Callable | None]]:
        first = self.path if isinstance(self.path, str) else self.path(world)
        return [(self.name, first, self.then)] + [(f"{self.name}-{state}", path, then)
                                                  for state, path, then in self.states]


def reset_link(world: World) -> str:
    user = world.patient
    return f"/accounts/reset/{urlsafe_base64_encode(force_bytes(user.pk))}/{default_token_generator.make_token(user)}/"


def confirm_link(world: World) -> str:
    """The link a new account is mailed, opened: its page with the button that confirms."""
    from webapp.accounts.tokens import email_verification_token

    user = world.make_user(email="axe-new@example.org", email_verified_at=None)
    return f"/accounts/verify-email/{urlsafe_base64_encode(force_bytes(user.pk))}/{email_verification_token.make_token(user)}/"


def batch_path(world: World) -> str:
    return f"/screening/batches/{world.batch().pk}/"


def doctor_reading(world: World) -> str:
    return f"/screening/readings/{world.history(world.doctor)[0].pk}/"


def doctor_history(world: World) -> str:
    world.history(world.doctor)
    return "/screening/readings/"


def doctor_compare(world: World) -> str:
    world.history(world.doctor)
    return "/screening/compare/?patient=MRN-7"


def compare_list(world: World) -> str:
    world.history(world.doctor)
    return "/screening/compare/"


def patient_history(world: World) -> str:
    world.history(world.patient)
    return "/screening/readings/"


def site_check_page(world: World) -> str:
    world.site_check()
    return "/screening/site-validation/"


def wait_for_the_operations(page) -> None:
    """Swagger UI draws the guide's operations after the page has loaded."""
    page.wait_for_selector(".opblock")


def open_the_authorize_dialog(page) -> None:
    page.click("button.authorize")
    page.wait_for_selector(".modal-ux input[type=text]")


def try_out_an_upload(page) -> None:
    """The dialog closed, the upload operation opened and "Try it out" pressed: its form of
    fields, the file input and Execute are what a person fills in."""
    page.click(".modal-ux button.close-modal")
    block = page.locator("#operations-default-createReading")
    block.locator(".opblock-summary").click()
    block.locator("button.try-out__btn").click()
    block.locator("button.execute").wait_for()


PAGES = [
    Page("landing", "visitor", "/"),
    Page("login", "visitor", "/accounts/login/"),
    Page("register-patient", "visitor", "/accounts/register/"),
    Page("register-doctor", "visitor", "/accounts/register/", choose_doctor),
    # After registering: "check your email", the mailed link's page, asking for the link again,
    # and a link that fails.
    Page("register-done", "visitor", "/accounts/register/done/"),
    Page("confirm-address", "visitor", confirm_link),
    Page("confirm-again", "visitor", "/accounts/verify-email/"),
    Page("confirm-bad-link", "visitor", "/accounts/verify-email/MQ/cz9k1a-0123456789abcdef/"),
    Page("password-reset", "visitor", "/accounts/password_reset/"),
    Page("password-reset-sent", "visitor", "/accounts/password_reset/done/"),
    Page("password-reset-new", "visitor", reset_link),
    Page("password-reset-bad-link", "visitor", "/accounts/reset/MQ/set-password-x/"),
    Page("password-reset-complete", "visitor", "/accounts/reset/done/"),
    # The finder before a search, after a typed one, opened from a shared link with a search
    # in it, and for a place it does not know (one import of the hospital list for all four).
    Page("finder", "visitor", "/hospitals/", needs=("hospitals",), states=(
        ("searched", None, search_surabaya),
        ("shared-link", "/hospitals/?lat=-7.2575&lon=112.7521", map_drawn),
        ("unknown-place", "/hospitals/?place=Xyzzyqq", None),
    )),
    # The general page, then each outcome's (one template, the outcome's part included).
    Page("next-steps", "visitor", "/next-steps/",
         states=tuple((outcome, f"/next-steps/{outcome}/", None) for outcome in OUTCOMES)),
    Page("how-it-works", "visitor", "/how-it-works/"),
    Page("not-found", "visitor", "/no-such-page/"),
    Page("locked-out", "visitor", login_of_the_patient, lock_out),
    Page("home", "patient", "/home/"),
    Page("upload", "patient", "/screening/upload/"),
    Page("upload-refused", "patient", "/screening/upload/", upload_a_photo),
    Page("reading-labelled", "patient", lambda w: f"/screening/readings/{w.labelled.pk}/"),
    Page("reading-uncertain", "patient", lambda w: f"/screening/readings/{w.uncertain.pk}/"),
    Page("report", "patient", lambda w: f"/screening/readings/{w.labelled.pk}/report/"),
    Page("reading-delete", "patient", lambda w: f"/screening/readings/{w.labelled.pk}/delete/"),
    Page("history", "patient", patient_history),
    Page("history-empty", "patient", "/screening/readings/"),
    Page("batch", "patient", batch_path),
    Page("profile", "patient", "/accounts/profile/"),
    Page("password-change", "patient", "/accounts/password_change/"),
    Page("password-change-done", "patient", "/accounts/password_change/done/"),
    Page("api-keys", "patient", "/screening/api-token/"),
    Page("delete-account", "patient", "/accounts/profile/delete/"),
    Page("api-guide", "patient", "/api/v1/docs/", wait_for_the_operations, states=(
        ("authorize", None, open_the_authorize_dialog),
        ("try-it-out", None, try_out_an_upload),
    )),
    Page("forbidden", "patient", "/screening/compare/"),  # a doctor's page: the 403 page
    Page("pending-doctor-home", "pending_doctor", "/home/"),
    Page("doctor-upload", "doctor", "/screening/upload/"),
    Page("doctor-reading", "doctor", doctor_reading),
    Page("doctor-history", "doctor", doctor_history),
    Page("doctor-compare-list", "doctor", compare_list),
    Page("doctor-compare", "doctor", doctor_compare),
    Page("site-check", "staff", site_check_page),
    Page("site-check-stored", "staff", lambda w: f"/screening/site-validation/{w.site_check().pk}/"),
]


def not_a_failure(rule: str, node: dict) -> bool:
    """axe's findings that WCAG itself does not count as failures (each reported, not hidden).

    target-size on the finder's map markers: two hospitals a few metres apart have markers that
    cover each other, which axe measures as a target smaller than 24 px. WCAG 2.5.8 exempts a
    target whose function another control on the page offers at full size ("Equivalent"): a
    marker only opens a popup with the hospital's name and distance, and the list below the map
    says both, and more, for every marker."""
    return rule == "target-size" and "leaflet-marker-icon" in node.get("html", "")


def violations_text(results: dict, where: str) -> list[str]:
    lines = []
    for violation in results["violations"]:
        nodes = [node for node in violation["nodes"] if not not_a_failure(violation["id"], node)]
        if not nodes:
            continue
        lines.append(f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in nodes:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    {node['target']}  {summary[:300]}")
    return lines


@contextmanager
def visitor_context(browser, cookies, **options):
    """A browser context of nobody signed in, closed afterwards (as signed_in_context's)."""
    context = browser.new_context(**options)
    try:
        context.add_cookies(list(cookies))
        yield context
    finally:
        context.close()


@pytest.fixture
def world(make_user, model_dir, media_root, xray_paths, hospitals_dir):
    return World(make_user, model_dir, xray_paths, hospitals_dir)


@pytest.mark.parametrize("case", PAGES, ids=[page.name for page in PAGES])
def test_the_page_has_no_wcag_violations(case, world, chromium_browser, live_server, test_output):
    if "hospitals" in case.needs:
        world.hospitals()
    steps = case.steps(world)
    user = world.user(case.who)
    problems = []
    for language, viewport in VARIANTS:
        cookies = ({"name": "django_language", "value": language, "url": live_server.url},)
        options = {"viewport": viewport, "locale": BROWSER_LOCALES[language]}
        if user is None:  # a visitor
            opened = visitor_context(chromium_browser, cookies, **options)
        else:
            opened = signed_in_context(chromium_browser, live_server.url, user, extra_cookies=cookies, **options)
        with opened as context:
            page = context.new_page()
            page.set_default_timeout(15_000)
            # No map tiles from the internet: the map's markers and controls are still drawn.
            page.route("https://*.openstreetmap.org/**", lambda route: route.abort())
            for name, path, then in steps:
                if path is not None:
                    page.goto(f"{live_server.url}{path}")
                if then:
                    then(page)
                results = AXE.run(page, options=WCAG_A_AA).response
                page.screenshot(path=test_output / f"axe-{name}-{language}-{viewport['width']}.png", full_page=True)
                problems += violations_text(results, f"{name} {language} {viewport['width']}px")
    assert not problems, "axe found WCAG violations:\n" + "\n".join(problems)


