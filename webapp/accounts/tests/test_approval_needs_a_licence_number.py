"""Approving a doctor is verifying their licence: a doctor account without a licence number (one
made with the admin site's Add user, which asks for none) is not approved, and the administrator
is told which and why."""
import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

User = get_user_model()
pytestmark = pytest.mark.django_db

NOT_APPROVED = {
    "en": ["1 doctor was not approved, having no licence number to verify: "
           "nolicence@example.org. Enter it on the account's page first.",
           "2 doctors were not approved, having no licence number to verify: "
           "blank@example.org, nolicence@example.org. Enter it on each account's page first."],
    "id": ["1 dokter tidak disetujui karena tidak memiliki nomor izin praktik untuk diverifikasi: "
           "nolicence@example.org. Isi dulu di halaman akunnya.",
           "2 dokter tidak disetujui karena tidak memiliki nomor izin praktik untuk diverifikasi: "
           "blank@example.org, nolicence@example.org. Isi dulu di halaman akunnya."],
}


def _approve(client, users, language="en"):
    with translation.override(language):
        response = client.post("/admin/accounts/user/", {
            "action": "approve_doctors", "_selected_action": [user.pk for user in users]},
            HTTP_ACCEPT_LANGUAGE=language, follow=True)
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_doctor_without_a_licence_number_is_not_approved(superuser_client, make_user, language):
    licensed = make_user(role="doctor", doctor_verified_at=None, licence_number="STR-1")
    unlicensed = make_user(email="nolicence@example.org", role="doctor", doctor_verified_at=None)
    blank = make_user(email="blank@example.org", role="doctor", doctor_verified_at=None,
                      licence_number="   ")

    shown = _approve(superuser_client, [licensed, unlicensed], language)
    for user in (licensed, unlicensed):
        user.refresh_from_db()
    assert licensed.is_doctor and unlicensed.is_pending_doctor
    # The list's count of waiting doctors follows; none "skipped": it is a pending doctor.
    assert shown[1:-1] == NOT_APPROVED[language][:1]

    shown = _approve(superuser_client, [unlicensed, blank], language)
    assert shown[1:-1] == NOT_APPROVED[language][1:]
    assert User.objects.filter(pk__in=[unlicensed.pk, blank.pk], doctor_verified_at=None).count() == 2
