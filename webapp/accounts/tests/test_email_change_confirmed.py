"""A new email address on the profile takes effect only once a link mailed to it is opened.

Registration confirms an address before the account signs in; without the same for a change, a
confirmed account could move to an address nobody holds (a typo) and its password-reset mails
would go there. Until the link is opened the account keeps its address for signing in and
resets; the old address is told once the change is made."""
import re

import pytest
from django.test import Client
from django.urls import reverse

from webapp.log_format import without_link_secrets

pytestmark = pytest.mark.django_db
NEW = "ana@example.net"


def ask_for(client, address, password, **extra):
    return client.post(reverse("profile"), {"full_name": "Ana", "email": address,
                                            "current_password": password}, **extra)


def link_in(mail) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/confirm-new-email/\S+/)", mail.body).group(1)


def test_the_new_address_counts_once_its_link_is_opened(patient_client, patient, mailoutbox, user_password):
    response = ask_for(patient_client, "Ana@Example.NET", user_password, follow=True)
    page = response.content.decode()
    assert f"We sent a link to {NEW}" in page
    patient.refresh_from_db()
    assert (patient.email, patient.pending_email) == ("patient@example.org", NEW)
    [mail] = mailoutbox
    assert mail.to == [NEW]  # the old address hears of it once it is made
    # Until then the profile says which address signs in and which waits.
    profile = patient_client.get(reverse("profile")).content.decode()
    assert f"{NEW} is waiting for confirmation" in profile

    # Opened in a browser where nobody is signed in (the phone's mail app).
    response = Client().post(link_in(mail), follow=True)
    assert f"Your email address is now {NEW}" in response.content.decode()
    patient.refresh_from_db()
    assert (patient.email, patient.pending_email) == (NEW, "")
    notice = mailoutbox[1]
    assert notice.to == ["patient@example.org"]
    assert f"changed from patient@example.org to {NEW}" in notice.body
    # Once: the same link again does nothing.
    again = Client().get(link_in(mail)).content.decode()
    assert "This confirmation link does not work" in again
    signed_in = Client().post(reverse("login"), {"username": NEW, "password": user_password})
    assert signed_in.status_code == 302


def test_opening_the_link_changes_nothing_until_its_button_is_pressed(patient_client, patient, mailoutbox,
                                                                     user_password):
    """A mail scanner opening the link (GET, HEAD) gave the account the new address."""
    ask_for(patient_client, NEW, user_password)
    link = link_in(mailoutbox[0])
    visitor = Client(enforce_csrf_checks=True)
    assert visitor.head(link).status_code == 200
    page = visitor.get(link).content.decode()
    assert "Confirm your email address" in page and f"make {NEW} your account" in page
    patient.refresh_from_db()
    assert (patient.email, patient.pending_email) == ("patient@example.org", NEW)
    assert len(mailoutbox) == 1  # the old address is not told of a change not made

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    done = visitor.post(link, {"csrfmiddlewaretoken": token}, follow=True)
    assert f"Your email address is now {NEW}" in done.content.decode()
    patient.refresh_from_db()
    assert (patient.email, patient.pending_email) == (NEW, "")


def test_a_later_request_replaces_the_earlier_link(patient_client, patient, mailoutbox, user_password):
    ask_for(patient_client, NEW, user_password)
    ask_for(patient_client, "ana.b@example.net", user_password)
    first, second = mailoutbox
    assert "This confirmation link does not work" in Client().get(link_in(first)).content.decode()
    Client().post(link_in(second))
    patient.refresh_from_db()
    assert patient.email == "ana.b@example.net"


def test_an_address_taken_meanwhile_is_not_given(patient_client, patient, mailoutbox, user_password, make_user):
    ask_for(patient_client, NEW, user_password)
    make_user(email=NEW)  # registered and confirmed by its holder before the link was opened
    page = Client().get(link_in(mailoutbox[0])).content.decode()
    assert "This confirmation link does not work" in page
    patient.refresh_from_db()
    assert patient.email == "patient@example.org"


def test_the_links_token_stays_out_of_the_logs(patient_client, mailoutbox, user_password):
    ask_for(patient_client, NEW, user_password)
    path = link_in(mailoutbox[0])
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert token not in without_link_secrets(f'"GET {path} HTTP/1.1" 302')
