"""The user admin: listing, changing and adding accounts."""
import pytest
from django.contrib.auth import get_user_model

User = get_user_model()
pytestmark = pytest.mark.django_db


def test_admin_lists_and_adds_users(client, patient, user_password):
    admin = User.objects.create_superuser("admin@example.org", user_password, full_name="Admin")
    client.force_login(admin)
    listing = client.get("/admin/accounts/user/")
    assert listing.status_code == 200 and "patient@example.org" in listing.content.decode()
    assert client.get(f"/admin/accounts/user/{patient.pk}/change/").status_code == 200
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "email": "New.Doctor@example.org",
            "full_name": "New Doctor",
            "role": "doctor",
            "usable_password": "true",
            "password1": user_password,
            "password2": user_password,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(email="new.doctor@example.org").role == "doctor"
