"""What a staff member's permissions in the admin site allow, and no more (the security audit):
approving a doctor changes the account, so a staff member who may only view accounts cannot;
a staff member who may change accounts cannot give anyone (themselves included) administrator
rights, nor change an administrator's account or password: only a superuser can, as only a
superuser deletes an administrator's account."""
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from webapp.accounts.models import Role

User = get_user_model()
pytestmark = pytest.mark.django_db


def staff_with(make_user, email: str, *codenames: str) -> Client:
    staff = make_user(email=email, is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="accounts",
                                                         codename__in=codenames))
    client = Client()
    client.force_login(staff)
    client.staff = staff
    return client


@pytest.fixture
def pending_doctor(make_user):
    return make_user(email="doctor@example.org", role=Role.DOCTOR, licence_number="STR-1234", doctor_verified_at=None)


def test_a_staff_member_who_may_only_view_accounts_cannot_approve_a_doctor(make_user, pending_doctor):
    viewer = staff_with(make_user, "viewer@example.org", "view_user")
    page = viewer.get("/admin/accounts/user/")
    assert page.status_code == 200 and b"approve_doctors" not in page.content
    viewer.post("/admin/accounts/user/", {"action": "approve_doctors",
                                          "_selected_action": [pending_doctor.pk]})
    pending_doctor.refresh_from_db()
    assert pending_doctor.doctor_verified_at is None


def test_a_staff_member_who_may_change_accounts_still_approves_doctors(make_user, pending_doctor):
    editor = staff_with(make_user, "editor@example.org", "view_user", "change_user")
    assert b"approve_doctors" in editor.get("/admin/accounts/user/").content
    editor.post("/admin/accounts/user/", {"action": "approve_doctors", "_selected_action": [pending_doctor.pk]})
    pending_doctor.refresh_from_db()
    assert pending_doctor.doctor_verified_by == editor.staff


def change_form(user, **changes) -> dict:
    form = {"email": user.email, "full_name": user.full_name, "role": user.role, "time_zone": user.time_zone,
            "licence_number": user.licence_number, "workplace": user.workplace, "is_active": "on",
            "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-12-01", "date_joined_1": "10:00:00"}
    if user.is_staff:
        form["is_staff"] = "on"
    form.update(changes)
    return form


def test_a_staff_member_cannot_make_themselves_a_superuser(make_user):
    editor = staff_with(make_user, "editor@example.org", "view_user", "change_user")
    me = editor.staff
    page = editor.get(f"/admin/accounts/user/{me.pk}/change/")
    assert page.status_code == 200 and b'name="is_superuser"' not in page.content
    editor.post(f"/admin/accounts/user/{me.pk}/change/",
                change_form(me, is_superuser="on", user_permissions=list(Permission.objects.values_list("pk", flat=True))))
    me.refresh_from_db()
    assert not me.is_superuser and me.user_permissions.count() == 2


def test_a_staff_member_cannot_make_a_patient_staff(make_user):
    editor = staff_with(make_user, "editor@example.org", "view_user", "change_user")
    patient = make_user(email="patient@example.org")
    response = editor.post(f"/admin/accounts/user/{patient.pk}/change/", change_form(patient, is_staff="on"))
    assert response.status_code == 302
    patient.refresh_from_db()
    assert not patient.is_staff


def test_a_staff_member_cannot_change_an_administrators_account_or_password(make_user):
    editor = staff_with(make_user, "editor@example.org", "view_user", "change_user")
    superuser = make_user(email="root@example.org", is_staff=True, is_superuser=True)
    before = superuser.password
    assert editor.get(f"/admin/accounts/user/{superuser.pk}/password/").status_code == 403
    editor.post(f"/admin/accounts/user/{superuser.pk}/password/",
                {"password1": "Taken-Over-2026!", "password2": "Taken-Over-2026!", "usable_password": "true"})
    editor.post(f"/admin/accounts/user/{superuser.pk}/change/", change_form(superuser, full_name="Mallory"))
    superuser.refresh_from_db()
    assert superuser.password == before and superuser.full_name != "Mallory"
    # The account is still there to look at.
    page = editor.get(f"/admin/accounts/user/{superuser.pk}/change/")
    assert page.status_code == 200 and b'name="full_name"' not in page.content


def test_a_superuser_still_grants_administrator_rights(superuser_client, make_user):
    patient = make_user(email="patient@example.org")
    superuser_client.post(f"/admin/accounts/user/{patient.pk}/change/",
                          change_form(patient, is_staff="on", is_superuser="on"))
    patient.refresh_from_db()
    assert patient.is_staff and patient.is_superuser
