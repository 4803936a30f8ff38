""""Try it out" on the interactive API docs (Swagger UI, /api/v1/docs/) in Debian's Chromium: the
optional text fields of an upload are sent as nothing unless typed. Swagger UI used to fill
patient_reference with its placeholder "string", so a patient's upload was refused (403
reference_for_doctors) and a verified doctor's reading kept the reference "string".

Screenshots land in test-output/api-docs-try-*.png."""
from __future__ import annotations

import json

import pytest

from webapp.screening.models import ApiToken, Reading
from webapp.tests.support.browser_helpers import signed_in_context

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _execute(context, base, key, path, field, file, test_output, name) -> dict:
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{base}/api/v1/docs/")
    page.wait_for_selector(".opblock")
    page.click("button.authorize")
    page.fill(".modal-ux input[type=text]", f"Token {key}")
    page.click(".modal-ux button.authorize")
    page.click(".modal-ux button.close-modal")
    block = page.locator(f"#operations-default-{name}")
    block.locator(".opblock-summary").click()
    block.locator("button.try-out__btn").click()
    row = block.locator(f"tr[data-property-name='{field}']")
    if row.locator("input[type=file]").count() == 0:  # an array of files starts with none
        row.get_by_role("button", name="Add item").click()
    row.locator("input[type=file]").first.set_input_files(str(file))
    with page.expect_response(lambda r: r.url.endswith(path) and r.request.method == "POST") as answer:
        block.locator("button.execute").click()
    block.locator(".live-responses-table").wait_for()
    page.screenshot(path=test_output / f"api-docs-try-{name}.png", full_page=False)
    response = answer.value
    return {"status": response.status, "body": json.loads(response.body())}


@pytest.mark.parametrize("role", ["patient", "doctor"])
def test_try_it_out_sends_no_patient_reference_unless_typed(chromium_browser, live_server, test_output,
                                                             make_user, model_dir, media_root,
                                                             xray_paths, role):
    user = make_user(role=role)
    _token, key = ApiToken.issue(user)
    with signed_in_context(chromium_browser, live_server.url, user,
                           viewport={"width": 1280, "height": 1000}, locale="en-US") as context:
        single = _execute(context, live_server.url, key, "/api/v1/readings/", "image",
                          xray_paths["covid"][0], test_output, "createReading")
        assert single["status"] == 201, single["body"]
        assert single["body"].get("patient_reference", "") == ""
        batch = _execute(context, live_server.url, key, "/api/v1/readings/batch/", "images",
                         xray_paths["normal"][0], test_output, "createReadings")
        assert batch["status"] == 202, batch["body"]
    assert set(Reading.objects.values_list("patient_reference", flat=True)) <= {""}
