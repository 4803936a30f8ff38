"""Doctor verification: a registered doctor is pending, with a patient's rights and a page that
says so, until an administrator approves the account in the admin site."""
import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from webapp.screening.forms import is_doctor

User = get_user_model()
pytestmark = pytest.mark.django_db

PENDING_TEXT = "Your doctor account is waiting for an administrator to verify your licence."


@pytest.fixture
def pending(make_user):
    return make_user(email="pending@example.org", full_name="Dr. Sari Wijaya", role="doctor",
                     doctor_verified_at=None, licence_number="STR-1", workplace="RS Harapan")


def test_only_a_verified_doctor_has_doctor_rights(pending, doctor, patient):
    assert not is_doctor(pending) and pending.is_pending_doctor
    assert is_doctor(doctor) and not doctor.is_pending_doctor
    assert not is_doctor(patient) and not patient.is_pending_doctor


def test_a_pending_doctor_sees_a_patients_pages_and_is_told_why(pending, make_reading, xray_paths):
    reading = make_reading(pending, xray_paths["normal"][0])
    client = Client()
    client.force_login(pending)
    detail = client.get(reverse("screening:detail", args=[reading.pk]))
    assert "annotation_form" not in detail.context and detail.context["doctor"] is False
    assert PENDING_TEXT in detail.content.decode()
    history = client.get(reverse("screening:history"))
    # Everyone's filters (outcome, days, order), none of a doctor's (patient reference, note).
    assert set(history.context["filters"].fields) == {"outcome", "from", "to", "order"}
    refused = client.post(reverse("screening:annotate", args=[reading.pk]),
                          {"patient_reference": "P-1", "note": "x"})
    assert refused.status_code == 403
    reading.refresh_from_db()
    assert reading.patient_reference == ""
    home = client.get(reverse("home")).content.decode()
    assert PENDING_TEXT in home and "Doctor (awaiting verification)" in home
    profile = client.get(reverse("profile")).content.decode()
    assert "Verification: <strong>pending</strong>" in profile


def test_a_verified_doctor_keeps_annotating_and_sees_no_pending_notice(doctor, make_reading, xray_paths):
    reading = make_reading(doctor, xray_paths["normal"][0])
    client = Client()
    client.force_login(doctor)
    detail = client.get(reverse("screening:detail", args=[reading.pk]))
    assert "annotation_form" in detail.context and PENDING_TEXT not in detail.content.decode()
    saved = client.post(reverse("screening:annotate", args=[reading.pk]),
                        {"patient_reference": "P-7", "note": "seen"})
    assert saved.status_code == 302


def test_the_admin_filters_pending_doctors_and_approves_them(superuser_client, pending, doctor,
                                                             patient):
    listing = superuser_client.get("/admin/accounts/user/?doctor=pending")
    emails = [u.email for u in listing.context["cl"].result_list]
    assert emails == [pending.email]
    response = superuser_client.post("/admin/accounts/user/", {
        "action": "approve_doctors", "_selected_action": [pending.pk, patient.pk],
    }, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "1 doctor approved." in text and "1 selected account was skipped" in text
    pending.refresh_from_db()
    patient.refresh_from_db()
    assert pending.is_doctor and pending.doctor_verified_by == superuser_client.admin
    assert patient.role == "patient" and patient.doctor_verified_at is None
    assert superuser_client.get("/admin/accounts/user/?doctor=pending").context["cl"].result_list.count() == 0
    verified = superuser_client.get("/admin/accounts/user/?doctor=verified").context["cl"].result_list
    assert {u.email for u in verified} == {pending.email, doctor.email}


def test_approving_from_the_pending_filter_counts_no_skipped_accounts(superuser_client, pending):
    """With the list filtered by "pending", the action's queryset carries the filter: counting it
    after the update found 0 and reported "-1 selected accounts were skipped"."""
    response = superuser_client.post("/admin/accounts/user/?doctor=pending", {
        "action": "approve_doctors", "_selected_action": [pending.pk],
    }, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["1 doctor approved."]
    pending.refresh_from_db()
    assert pending.is_doctor


def test_approving_from_the_pending_filter_still_counts_a_verified_doctor_as_skipped(
        superuser_client, pending, doctor):
    response = superuser_client.post("/admin/accounts/user/", {
        "action": "approve_doctors", "_selected_action": [pending.pk, doctor.pk],
    }, follow=True)
    text = response.content.decode()
    assert "1 doctor approved." in text and "1 selected account was skipped" in text


def test_the_admin_can_withdraw_a_verification(superuser_client, doctor):
    superuser_client.post("/admin/accounts/user/", {
        "action": "withdraw_doctor_verification", "_selected_action": [doctor.pk]})
    doctor.refresh_from_db()
    assert doctor.is_pending_doctor and not is_doctor(doctor)


def test_the_admin_change_page_shows_the_credentials(superuser_client, pending):
    page = superuser_client.get(f"/admin/accounts/user/{pending.pk}/change/").content.decode()
    assert "STR-1" in page and "RS Harapan" in page


def test_a_pending_doctor_may_correct_the_credentials_a_verified_one_may_not(pending, doctor):
    client = Client()
    client.force_login(pending)
    client.post(reverse("profile"), {"full_name": pending.full_name, "email": pending.email,
                                     "time_zone": "", "licence_number": "STR-2", "workplace": "RS B"})
    pending.refresh_from_db()
    assert (pending.licence_number, pending.workplace) == ("STR-2", "RS B")
    client.force_login(doctor)
    client.post(reverse("profile"), {"full_name": doctor.full_name, "email": doctor.email,
                                     "time_zone": "", "licence_number": "FORGED", "workplace": "X"})
    doctor.refresh_from_db()
    assert doctor.licence_number != "FORGED"


def test_the_migration_marks_doctors_that_existed_before_it_verified(make_user):
    """Existing doctors keep their rights (see the migration's docstring for why)."""
    from importlib import import_module

    migration = import_module("webapp.accounts.migrations.0002_doctor_verification_and_time_zone")
    old_doctor = make_user(role="doctor", doctor_verified_at=None)
    old_patient = make_user(role="patient")
    migration.verify_existing_doctors(django_apps, None)
    old_doctor.refresh_from_db()
    old_patient.refresh_from_db()
    assert old_doctor.is_doctor and old_doctor.doctor_verified_at <= timezone.now()
    assert old_patient.doctor_verified_at is None
