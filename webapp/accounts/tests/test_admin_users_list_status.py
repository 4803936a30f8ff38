"""The admin's Users list says what an account may do: a deactivated doctor looked "Doctor:
verified" like any other, and a superuser (whose role is Patient unless changed) said "Patient"
(the operator audit). The real changelist page, in English and Indonesian."""
from __future__ import annotations

import html
import re

import pytest

pytestmark = pytest.mark.django_db


def rows(client) -> dict[str, dict[str, str]]:
    """Each row of the Users list: its email -> {column class: the cell's text}."""
    page = client.get("/admin/accounts/user/").content.decode()
    found = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.DOTALL):
        cells = dict(re.findall(r'<t[hd] class="field-([\w]+)[^"]*"[^>]*>(.*?)</t[hd]>', row, re.DOTALL))
        if "email" in cells:
            cells = {name: html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for name, text in cells.items()}
            found[cells["email"]] = cells
    return found


@pytest.mark.parametrize(("language", "words"), [
    ("en", {"verified": "Doctor: verified", "administrator": "Administrator", "patient": "Patient",
            "deactivated": "Doctor: verified (deactivated)"}),
    ("id", {"verified": "Dokter: terverifikasi", "administrator": "Administrator", "patient": "Pasien",
            "deactivated": "Dokter: terverifikasi (dinonaktifkan)"}),
])
def test_the_users_list_says_who_is_active_and_who_administers(superuser_client_in, make_user, language,
                                                                words):
    make_user(email="left@example.org", role="doctor", licence_number="STR-1", is_active=False)
    make_user(email="works@example.org", role="doctor", licence_number="STR-2")
    make_user(email="staff@example.org", role="patient", is_staff=True)
    make_user(email="someone@example.org", role="patient")
    listed = rows(superuser_client_in(language))
    assert listed["left@example.org"]["role_and_verification"] == words["deactivated"]
    assert listed["works@example.org"]["role_and_verification"] == words["verified"]
    # The superuser of the fixture (role Patient, the default) and a staff member administer.
    assert listed["admin@example.org"]["role_and_verification"] == words["administrator"]
    assert listed["staff@example.org"]["role_and_verification"] == words["administrator"]
    assert listed["someone@example.org"]["role_and_verification"] == words["patient"]
