"""A doctor's verification belongs to the role: an account turned from Doctor into Patient in the
admin site loses it, so that turning it back into a doctor needs a new approval (it kept the old
one, and with it doctor rights that nobody had granted again)."""
import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.utils import translation

User = get_user_model()
pytestmark = pytest.mark.django_db

WITHDRAWN = {
    "en": "The doctor verification of doctor@example.org was withdrawn: the role is no longer "
          "Doctor. Back as a doctor, the account is pending until approved again.",
    "id": "Verifikasi dokter doctor@example.org dicabut: perannya bukan lagi Dokter. Jika "
          "kembali menjadi dokter, akun ini menunggu verifikasi sampai disetujui lagi.",
}


def _save_role(client, user, role, language="en"):
    """Post the account's change page as shown, with `role` chosen."""
    url = f"/admin/accounts/user/{user.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items()
            if name in form.fields and name not in ("password", "groups", "user_permissions")
            and value is not None}
    for name in ("last_login", "date_joined"):
        if data.get(name):
            data[f"{name}_0"], data[f"{name}_1"] = data.pop(name).strftime("%Y-%m-%d %H:%M:%S").split()
    data["role"] = role
    with translation.override(language):
        response = client.post(url, data, HTTP_ACCEPT_LANGUAGE=language, follow=True)
    assert response.redirect_chain, response.context["adminform"].form.errors
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_doctor_made_a_patient_and_a_doctor_again_is_pending(superuser_client, doctor, language):
    assert doctor.is_doctor
    shown = _save_role(superuser_client, doctor, "patient", language)
    doctor.refresh_from_db()
    assert doctor.doctor_verified_at is None and doctor.doctor_verified_by is None
    assert WITHDRAWN[language] in shown

    assert WITHDRAWN["en"] not in _save_role(superuser_client, doctor, "doctor")
    doctor.refresh_from_db()
    assert doctor.is_pending_doctor and not doctor.is_doctor
    entries = LogEntry.objects.filter(object_id=str(doctor.pk)).order_by("id")
    assert entries[0].change_message == {"en": "Withdrew the doctor verification.",
                                         "id": "Mencabut verifikasi dokter."}[language]


def test_saving_a_doctor_as_a_doctor_keeps_the_verification(superuser_client, doctor):
    shown = _save_role(superuser_client, doctor, "doctor")
    assert len(shown) == 1 and "was changed successfully" in shown[0]
    doctor.refresh_from_db()
    assert doctor.is_doctor
