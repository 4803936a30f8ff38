"""The admin's list of users says how many doctors are waiting for verification, with a link to
them: nothing told an operator that a doctor had registered and was waiting."""
import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

User = get_user_model()
pytestmark = pytest.mark.django_db

WAITING = {
    "en": '2 doctors are waiting for verification. '
          '<a href="/admin/accounts/user/?doctor=pending">Show the waiting doctors</a>',
    "id": '2 dokter menunggu verifikasi. '
          '<a href="/admin/accounts/user/?doctor=pending">Tampilkan dokter yang menunggu</a>',
}


def _shown(client, url, language="en"):
    with translation.override(language):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    return [str(message) for message in response.context["messages"]], response.content.decode()


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_list_counts_the_pending_doctors_and_links_to_them(superuser_client, make_user, doctor,
                                                               language):
    for number in (1, 2):
        make_user(role="doctor", doctor_verified_at=None, licence_number=f"STR-{number}")
    shown, page = _shown(superuser_client, "/admin/accounts/user/", language)
    assert shown == [WAITING[language]] and WAITING[language] in page  # the link, not escaped
    # Something to do, so the admin's yellow warning, not the green tick of something done.
    assert f'<li class="warning">{WAITING[language]}</li>' in page
    # Not on the pending doctors' own list, which shows them.
    assert _shown(superuser_client, "/admin/accounts/user/?doctor=pending", language)[0] == []


def test_no_word_while_no_doctor_waits(superuser_client, doctor, patient):
    assert _shown(superuser_client, "/admin/accounts/user/")[0] == []


def test_the_count_follows_an_approval(superuser_client, make_user):
    pending = make_user(role="doctor", doctor_verified_at=None, licence_number="STR-1")
    assert "1 doctor is waiting for verification." in _shown(superuser_client, "/admin/accounts/user/")[0][0]
    with translation.override("en"):
        response = superuser_client.post("/admin/accounts/user/", {
            "action": "approve_doctors", "_selected_action": [pending.pk]}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["1 doctor approved."]
