"""Where the focus goes when a page comes back with news, for people who hear the page (a
screen-reader audit read Chromium's accessibility tree after each key):

- a registration whose password was refused came back focused on "Full name" (its autofocus),
  the error four fields further on, unread;
- a wrong password at login came back focused on the email field, the error only an alert
  rendered with the page, which screen readers do not reliably say;
- a new API key, shown only once, came with the focus on <body>: nothing said it was there;
- a doctor's saved notes focused an unnamed section, its "saved" said by no one;
- deleting a reading from a history whose remembered filter was invalid came back to that
  filter's error, the "deleted" message skipped.

Each now puts the focus on the news: the field in error, the form's error, the new key, the
confirmation; and a history with an invalid filter is not remembered as the way back."""
from __future__ import annotations

import pytest
from django.urls import reverse

from webapp.screening.models import Reading
from webapp.tests.support.browser_helpers import VIEWPORTS
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-key-maker's-passphrase-7"
FOCUSED = """() => { const e = document.activeElement;
    return {tag: e.tagName.toLowerCase(), name: e.getAttribute('name'), invalid: e.getAttribute('aria-invalid'),
            text: (e.innerText || '').trim(), testid: e.getAttribute('data-testid')}; }"""


def test_a_refused_password_at_registration_takes_the_focus(page, live_server):
    page.goto(f"{live_server.url}{reverse('register')}")
    page.fill("input[name=full_name]", "Pat Ient")
    page.fill("input[name=email]", "pat@example.org")
    page.check("input[name=role][value=patient]")
    page.fill("input[name=password1]", "short")
    page.fill("input[name=password2]", "short")
    with page.expect_navigation():
        page.press("input[name=password2]", "Enter")
    focused = page.evaluate(FOCUSED)
    assert focused["invalid"] == "true" and focused["name"].startswith("password"), focused


def test_a_wrong_password_at_login_focuses_the_error(page, live_server, patient):
    page.goto(f"{live_server.url}{reverse('login')}")
    page.fill("input[name=username]", patient.email)
    page.fill("input[name=password]", "not the password")
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    focused = page.evaluate(FOCUSED)
    assert focused["testid"] == "form-errors", focused
    assert "The email address or the password is not correct." in focused["text"]
    page.keyboard.press("Tab")  # and on into the form
    assert page.evaluate(FOCUSED)["name"] == "username"


def test_a_new_api_key_takes_the_focus(open_signed_in_page, make_user):
    patient = make_user(email="keys@example.org", password=PASSWORD)
    page = open_signed_in_page(patient, reverse("screening:api_token"), VIEWPORTS["desktop"])
    form = page.locator("form.api-key-form")
    form.locator("input[name=name]").fill("My script")
    form.locator("input[name=current_password]").fill(PASSWORD)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    focused = page.evaluate(FOCUSED)
    assert focused["testid"] == "new-key", focused
    assert "Copy it now" in focused["text"] and page.get_by_test_id("new-api-key").inner_text() in focused["text"]


def test_saved_notes_focus_their_confirmation(open_signed_in_page, doctor, model_dir, media_root, xray_paths):
    reading = store_reading(doctor, model_dir, xray_paths["normal"][0])
    page = open_signed_in_page(doctor, reverse("screening:detail", args=[reading.pk]), VIEWPORTS["phone"])
    page.fill("textarea[name=note]", "Cough for three days")
    with page.expect_navigation():
        page.locator(".annotation-form button[type=submit]").click()
    focused = page.evaluate(FOCUSED)
    assert focused["testid"] == "notes-saved" and focused["text"] == "Patient reference and note saved.", focused


def test_a_deletion_does_not_return_to_an_invalid_filter(open_signed_in_page, patient, model_dir, media_root,
                                                         xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["normal"][0])
    page = open_signed_in_page(patient, reverse("screening:history") + "?from=2099-99-99", VIEWPORTS["desktop"])
    page.goto(page.url.split("/screening/")[0] + reverse("screening:delete", args=[reading.pk]))
    with page.expect_navigation():
        page.get_by_test_id("confirm-delete").click()
    assert not Reading.objects.filter(pk=reading.pk).exists()
    assert "from=" not in page.url
    focused = page.evaluate(FOCUSED)
    assert focused["text"] == "The reading and its images were deleted.", focused


@pytest.mark.parametrize("outcome, expected", [("normal", "Listed: 2 readings."),
                                               ("covid", "No reading matches these filters.")])
def test_a_filtered_history_focuses_what_it_lists(open_signed_in_page, patient, model_dir, media_root, xray_paths,
                                                  outcome, expected):
    """"Filter" reloaded the history with the focus on <body>: a screen reader heard the page's
    title again and nothing of what the filters found (a screen-reader audit)."""
    for _ in range(2):
        store_reading(patient, model_dir, xray_paths["normal"][0], label="normal")
    page = open_signed_in_page(patient, reverse("screening:history"), VIEWPORTS["desktop"])
    page.select_option("select[name=outcome]", outcome)
    with page.expect_navigation():
        page.get_by_test_id("history-filters").locator("button[type=submit]").click()
    assert page.evaluate(FOCUSED)["text"] == expected
