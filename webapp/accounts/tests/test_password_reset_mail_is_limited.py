"""Anyone may ask for a reset link for any address, and each request sent a mail: six requests
in two seconds put six mails in bob's inbox (the security audit), a way to flood a mailbox and
to spend the site's mail reputation. One mail per address every RESET_MAIL_INTERVAL: the page
answers the same either way, so it says nothing about whether the address has an account."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from webapp.accounts.forms import RESET_MAIL_INTERVAL
from webapp.accounts.models import User

pytestmark = pytest.mark.django_db


def ask(client, email: str):
    return client.post(reverse("password_reset"), {"email": email})


def test_a_second_request_soon_after_sends_no_second_mail(client, patient, alice, mailoutbox):
    answers = [ask(client, patient.email) for _ in range(6)]
    assert {(a.status_code, a.url) for a in answers} == {(302, reverse("password_reset_done"))}
    assert len(mailoutbox) == 1
    ask(client, alice.email)  # another address is its own
    assert [mail.to for mail in mailoutbox] == [[patient.email], [alice.email]]


def test_after_the_interval_a_new_request_sends_a_new_mail(client, patient, mailoutbox):
    ask(client, patient.email)
    User.objects.filter(pk=patient.pk).update(
        password_reset_mailed_at=timezone.now() - RESET_MAIL_INTERVAL - timedelta(seconds=1))
    ask(client, patient.email)
    assert len(mailoutbox) == 2


def test_the_time_of_the_last_reset_mail_is_in_the_persons_own_data(client, patient, mailoutbox):
    import io
    import json
    import zipfile

    ask(client, patient.email)
    mailed = User.objects.get(pk=patient.pk).password_reset_mailed_at
    client.force_login(patient)
    response = client.get(reverse("export_data"))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    account = json.loads(archive.read("account.json"))
    assert account["reset_link_mailed_at"][:19] == timezone.localtime(mailed).isoformat()[:19]
