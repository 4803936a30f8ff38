"""django-axes names an account's sign-ins by its address. After the address changes, "Download
my data" must still list the sign-ins made under the earlier one, and "Delete my account" must
delete them: the old address's records follow the account to the new one."""
import io
import json
import re
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
PASSWORD = "Kuat-sekali-2026"


def _login(email, password=PASSWORD, ip="10.0.0.1"):
    client = Client(REMOTE_ADDR=ip)
    client.post(reverse("login"), {"username": email, "password": password})
    return client


def _axes_rows(*emails):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    return [row for model in (AccessAttempt, AccessFailureLog, AccessLog)
            for row in model.objects.filter(username__in=emails)]


def test_the_export_and_the_deletion_cover_the_earlier_address(settings, mailoutbox):
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True
    old, new = "carol@example.org", "carol.new@example.org"
    client = Client(REMOTE_ADDR="10.0.0.1")
    client.post(reverse("register"), {"full_name": "Carol Old", "email": old, "role": "patient",
                                      "password1": PASSWORD, "password2": PASSWORD})
    client.post(re.search(r"https?://[^/\s]+(/accounts/verify-email/\S+/)", mailoutbox[0].body).group(1))
    client.post(reverse("login"), {"username": old, "password": PASSWORD})
    _login(old, ip="10.0.0.2")
    _login(old, ip="10.0.0.3")
    _login(old, password="wrong-one", ip="10.0.0.4")
    response = client.post(reverse("profile"), {"full_name": "Carol Old", "email": new,
                                                "current_password": PASSWORD, "time_zone": ""})
    assert response.status_code == 302
    client.post(re.search(r"https?://[^/\s]+(/accounts/confirm-new-email/\S+/)", mailoutbox[1].body).group(1))
    assert not _axes_rows(old)  # moved, not left behind under the old address
    signed_in = _login(new, ip="10.0.0.5")

    archive = zipfile.ZipFile(io.BytesIO(b"".join(signed_in.get(reverse("export_data")).streaming_content)))
    logins = json.loads(archive.read("logins.json"))
    assert sorted(s["ip_address"] for s in logins["sign_ins"]) == ["10.0.0.1", "10.0.0.2", "10.0.0.3",
                                                                  "10.0.0.5"]
    assert [f["ip_address"] for f in logins["failed_sign_ins_counted"]] == ["10.0.0.4"]
    assert [f["ip_address"] for f in logins["failed_sign_ins"]] == ["10.0.0.4"]

    signed_in.post(reverse("delete_account"), {"password": PASSWORD})
    assert not _axes_rows(old, new)


def test_failures_from_the_same_place_add_up(bob):
    from axes.models import AccessAttempt

    for email in ("bob@example.org", "robert@example.org"):
        for _ in range(2):
            _login(email, password="wrong-one", ip="10.0.0.9")
    bob.email = "robert@example.org"
    bob.save()
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "robert@example.org" and attempt.failures_since_start == 4
