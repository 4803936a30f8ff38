"""Who counts as a verified or a pending doctor is one rule: User.is_doctor and
User.is_pending_doctor for one account, UserQuerySet's verified_doctors and pending_doctors for
lists (the admin's filter, its banner and its actions re-encoded it before). They must agree on
every kind of account."""
import pytest
from django.utils import timezone

from webapp.accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_the_lists_and_the_accounts_agree(make_user):
    make_user(email="patient@example.org", role=Role.PATIENT)
    make_user(email="pending@example.org", role=Role.DOCTOR, doctor_verified_at=None)
    make_user(email="verified@example.org", role=Role.DOCTOR)
    # A patient once verified as a doctor (the role changed back by an administrator).
    make_user(email="was-doctor@example.org", role=Role.PATIENT, doctor_verified_at=timezone.now())
    accounts = list(User.objects.all())
    assert {u.email for u in User.objects.verified_doctors()} == {u.email for u in accounts if u.is_doctor} \
        == {"verified@example.org"}
    assert {u.email for u in User.objects.pending_doctors()} == {u.email for u in accounts if u.is_pending_doctor} \
        == {"pending@example.org"}
