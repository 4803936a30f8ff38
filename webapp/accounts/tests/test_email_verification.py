"""A new account proves its email address before it signs in: registration mails a signed link
that works for PASSWORD_RESET_TIMEOUT (3 days), and the account cannot sign in (so cannot
upload an X-ray) until it is opened. The registration form answers the same whether or not the
address already has an account; its holder gets a mail saying someone tried, with a link to
reset the password. Before, registration said "An account with this email address already
exists." to anyone who asked, and signed in any address, owned or not."""
import importlib
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from webapp.accounts.forms import RESET_MAIL_INTERVAL
from webapp.accounts.models import User
from webapp.accounts.tests.support import logged_in_user_id
from webapp.accounts.tokens import email_verification_token
from webapp.log_format import without_link_secrets

pytestmark = pytest.mark.django_db

PASSWORD = "lantern-river-orbit-58"
LINK = re.compile(r"https?://[^/\s]+(/accounts/verify-email/[^/\s]+/[^/\s]+/)")


def register(client, email="Siti.Rahma@Example.org", indonesian=False, **overrides):
    data = {"full_name": "Siti Rahma", "email": email, "role": "patient",
            "password1": PASSWORD, "password2": PASSWORD, **overrides}
    return client.post(reverse("register"), data, **({"HTTP_ACCEPT_LANGUAGE": "id"} if indonesian else {}))


def log_in(client, email, password=PASSWORD):
    return client.post(reverse("login"), {"username": email, "password": password})


def link_in(mail) -> str:
    return LINK.search(mail.body).group(1)


def test_a_new_account_signs_in_only_after_its_link_is_opened(client, mailoutbox):
    response = register(client)
    assert response.status_code == 302 and response.url == reverse("register_done")
    user = User.objects.get()
    assert user.email == "siti.rahma@example.org" and user.email_verified_at is None
    assert logged_in_user_id(client) is None
    assert [mail.to for mail in mailoutbox] == [["siti.rahma@example.org"]]
    link = link_in(mailoutbox[0])
    assert "3 days" in mailoutbox[0].body
    assert without_link_secrets(link).endswith("/[token]/")  # kept out of the logs

    refused = log_in(client, "siti.rahma@example.org")
    assert refused.status_code == 200 and logged_in_user_id(client) is None
    assert "Your email address is not confirmed yet." in refused.content.decode()

    confirmed = client.post(link, follow=True)
    assert confirmed.redirect_chain[-1][0] == reverse("login")
    assert "Your email address is confirmed" in confirmed.content.decode()
    assert logged_in_user_id(client) is None  # the link alone signs nobody in
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert log_in(client, "siti.rahma@example.org").status_code == 302
    assert logged_in_user_id(client) == str(user.pk)


def press_the_button(link, client=None):
    """Open the mailed link as a person does, in a browser where nobody is signed in and CSRF
    is checked, and press its button."""
    client = client or Client(enforce_csrf_checks=True)
    page = client.get(link)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    return client.post(link, {"csrfmiddlewaretoken": token}, follow=True)


def test_opening_the_link_confirms_nothing_until_its_button_is_pressed(client, mailoutbox):
    """Mail scanners and link previews open (GET, HEAD) every link of a mail they see: opening
    the link confirmed the address whether or not a person read it. Only its button does now."""
    register(client)
    link = link_in(mailoutbox[0])
    assert client.head(link).status_code == 200
    page = client.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Confirm your email address" in html and "siti.rahma@example.org" in html
    assert '<form method="post"' in html and "Confirm my address" in html
    assert User.objects.get().email_verified_at is None
    assert "Your email address is not confirmed yet." in log_in(client, "siti.rahma@example.org").content.decode()

    confirmed = press_the_button(link)
    assert confirmed.redirect_chain[-1][0] == reverse("login")
    assert "Your email address is confirmed" in confirmed.content.decode()
    assert User.objects.get().email_verified_at is not None
    assert log_in(client, "siti.rahma@example.org").status_code == 302


def test_logins_tried_before_confirming_do_not_lock_the_confirmed_account(client, mailoutbox):
    """Each refused login counts against django-axes' lock; five of them, made before the mail
    was read, locked the account the person had just confirmed."""
    register(client)
    for _ in range(5):
        log_in(client, "siti.rahma@example.org")
    client.post(link_in(mailoutbox[0]))
    assert log_in(client, "siti.rahma@example.org").status_code == 302


def test_a_link_works_once_and_a_forged_or_old_one_not(client, mailoutbox):
    register(client)
    user = User.objects.get()
    link = link_in(mailoutbox[0])
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    generator = email_verification_token
    old_ts = generator._num_seconds(generator._now()) - settings.PASSWORD_RESET_TIMEOUT - 60
    old = generator._make_token_with_timestamp(user, old_ts, generator.secret)
    for bad in (reverse("verify_email", args=[uid, old]),
                reverse("verify_email", args=[uid, "cz9k1a-0123456789abcdef01234567"]),
                reverse("verify_email", args=["bm9uZQ", generator.make_token(user)])):
        page = client.get(bad)
        assert page.status_code == 200 and "This confirmation link does not work" in page.content.decode()
    user.refresh_from_db()
    assert user.email_verified_at is None
    assert client.post(link).status_code == 302
    again = client.get(link)
    assert again.status_code == 200 and "This confirmation link does not work" in again.content.decode()


def test_the_form_answers_the_same_whether_the_address_is_taken(client, patient, user_password, mailoutbox):
    new = register(client, email="new.person@example.org")
    taken = register(client, email="PATIENT@example.ORG")
    assert (taken.status_code, taken.url) == (new.status_code, new.url) == (302, reverse("register_done"))
    assert User.objects.filter(email="patient@example.org").count() == 1
    patient.refresh_from_db()
    assert patient.check_password(user_password) and patient.full_name == "Ana Patient"
    assert logged_in_user_id(client) is None
    assert [mail.to for mail in mailoutbox] == [["new.person@example.org"], ["patient@example.org"]]
    told = mailoutbox[1]
    assert "Someone tried to create a new CXR Screening account with this email address" in told.body
    assert re.search(r"https?://[^/\s]+/accounts/password_reset/", told.body)
    assert not LINK.search(told.body)


def test_the_holder_is_told_at_most_once_every_five_minutes(client, patient, mailoutbox):
    for _ in range(3):
        assert register(client, email=patient.email).url == reverse("register_done")
    assert len(mailoutbox) == 1
    User.objects.filter(pk=patient.pk).update(
        password_reset_mailed_at=timezone.now() - RESET_MAIL_INTERVAL - timedelta(seconds=1))
    register(client, email=patient.email)
    assert len(mailoutbox) == 2


def test_a_new_link_is_sent_on_request_at_most_once_every_five_minutes(client, patient, mailoutbox):
    register(client)
    user = User.objects.get(email="siti.rahma@example.org")
    answers = [client.post(reverse("resend_verification"), {"email": email})
               for email in ("SITI.RAHMA@example.org", patient.email, "nobody@example.org")]
    assert {(a.status_code, a.url) for a in answers} == {(302, reverse("register_done"))}
    assert len(mailoutbox) == 1  # the registration's own, mailed a moment ago
    User.objects.filter(pk=user.pk).update(
        verification_mailed_at=timezone.now() - RESET_MAIL_INTERVAL - timedelta(seconds=1))
    client.post(reverse("resend_verification"), {"email": user.email})
    client.post(reverse("resend_verification"), {"email": user.email})
    assert [mail.to for mail in mailoutbox] == [[user.email], [user.email]]
    assert client.post(link_in(mailoutbox[1])).status_code == 302
    user.refresh_from_db()
    assert user.email_verified_at is not None


def test_a_doctor_confirms_the_address_then_waits_for_an_administrator(client, mailoutbox):
    register(client, role="doctor", licence_number="STR-3171-0042", workplace="RSUD Tarakan")
    user = User.objects.get()
    assert user.is_pending_doctor and user.email_verified_at is None
    client.post(link_in(mailoutbox[0]))
    assert log_in(client, user.email).status_code == 302
    home = client.get(reverse("home")).content.decode()
    assert 'data-testid="pending-doctor"' in home
    user.refresh_from_db()
    assert user.is_pending_doctor and not user.is_doctor


def test_a_completed_password_reset_confirms_the_address(client, mailoutbox):
    """Opening the reset link proves the mailbox as well as the confirmation link does."""
    register(client)
    client.post(reverse("password_reset"), {"email": "siti.rahma@example.org"})
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mailoutbox[-1].body).group(1)
    form = client.get(link, follow=True)
    new_password = "fresh-secure-words-2026"
    client.post(form.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    assert User.objects.get().email_verified_at is not None
    assert log_in(client, "siti.rahma@example.org", new_password).status_code == 302


def test_the_mails_are_in_the_persons_language(client, patient, mailoutbox):
    register(client, indonesian=True)
    register(client, email=patient.email, indonesian=True)
    confirm, told = mailoutbox
    assert "Konfirmasi" in confirm.subject and "3 hari" in confirm.body
    assert "mencoba membuat akun" in told.body


def test_accounts_made_before_verification_still_sign_in(client, transactional_db):
    """Migration 0004: every account already there counts as confirmed."""
    from django.db.migrations.executor import MigrationExecutor

    before = [("accounts", "0003_password_reset_mailed_at")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        OldUser = executor.loader.project_state(before).apps.get_model("accounts", "User")
        from django.contrib.auth.hashers import make_password

        OldUser.objects.create(email="old@example.org", full_name="Old Account",
                               password=make_password(PASSWORD))
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert importlib.import_module("webapp.accounts.migrations.0004_email_verification")
    assert User.objects.get(email="old@example.org").email_verified_at is not None
    assert log_in(client, "old@example.org").status_code == 302
