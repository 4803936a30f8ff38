"""The user model: the email address is the login, stored lower case; names; superusers."""
import pytest
from django.contrib.auth import get_user_model

User = get_user_model()
pytestmark = pytest.mark.django_db


def test_email_is_the_login_and_is_stored_lower_case(make_user):
    user = make_user(email="  Mixed.Case@Example.ORG ")
    assert user.email == "mixed.case@example.org"
    assert User.USERNAME_FIELD == "email"
    assert not hasattr(user, "username")
    assert User.objects.get_by_natural_key("MIXED.case@example.org") == user


def test_short_name_is_first_word_of_full_name(make_user):
    assert make_user(full_name="Ana Maria Lopes").get_short_name() == "Ana"


def test_superuser_can_be_created_with_email_only(user_password):
    admin = User.objects.create_superuser("Boss@Example.org", user_password, full_name="Boss")
    assert admin.is_staff and admin.is_superuser and admin.email == "boss@example.org"
