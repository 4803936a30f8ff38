"""On a fresh registration page Chromium gave the two role radios the state "invalid" (a
required group with none chosen), so a screen reader said "invalid entry" on "Patient" before
the person had done anything (a screen-reader audit); the text fields, as required and as empty,
were not. The radios are valid until the form comes back with no role chosen."""
from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def invalid_states(page) -> dict[str, str]:
    cdp = page.context.new_cdp_session(page)
    states = {}
    for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
        props = {p["name"]: p["value"].get("value") for p in node.get("properties", [])}
        if node.get("role", {}).get("value") == "radio":
            states[(node.get("name") or {}).get("value")] = props.get("invalid")
    return states


def test_the_role_radios_are_invalid_only_after_a_send_without_a_role(page, live_server):
    page.goto(f"{live_server.url}{reverse('register')}")
    assert invalid_states(page) == {"Patient": "false", "Doctor": "false"}
    page.fill("input[name=full_name]", "Pat Ient")
    with page.expect_navigation():
        page.get_by_role("button", name="Create my account").click()
    assert set(invalid_states(page).values()) == {"true"}


def test_the_upload_field_is_not_invalid_before_a_file_is_chosen(open_signed_in_page, patient):
    """The same on the upload page: its required file field was "invalid" before any file was
    chosen (a screen-reader audit). It is invalid only while what was chosen cannot be sent."""
    from webapp.tests.support.browser_helpers import VIEWPORTS

    page = open_signed_in_page(patient, reverse("screening:upload"), VIEWPORTS["desktop"])
    cdp = page.context.new_cdp_session(page)
    node = cdp.send("DOM.getDocument")["root"]["nodeId"]
    field = cdp.send("DOM.querySelector", {"nodeId": node, "selector": "#id_image"})["nodeId"]
    props = cdp.send("Accessibility.getPartialAXTree", {"nodeId": field, "fetchRelatives": False})["nodes"][0]
    invalid = {p["name"]: p["value"].get("value") for p in props.get("properties", [])}.get("invalid")
    assert invalid == "false", props
    page.set_input_files("#id_image", files=[{"name": "empty.png", "mimeType": "image/png", "buffer": b""}])
    assert page.locator("#id_image").get_attribute("aria-invalid") == "true"
