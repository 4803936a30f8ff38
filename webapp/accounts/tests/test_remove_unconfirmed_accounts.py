"""`manage.py remove_unconfirmed_accounts`: accounts whose address was never confirmed (the
registration link never opened, so they never signed in) are removed once their link has long
expired; anyone may register any address, and such rows otherwise pile up, each holding a
stranger's address and name. Nothing younger than the link, confirmed, or staff is touched."""
import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from webapp.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(make_user, settings):
    settings.PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600  # the link lasts three days
    now = timezone.now()

    def account(email, days_ago, confirmed):
        user = make_user(email=email)
        User.objects.filter(pk=user.pk).update(
            date_joined=now - datetime.timedelta(days=days_ago),
            email_verified_at=now if confirmed else None)
        return email

    return {
        "stale": account("stale@example.org", 10, confirmed=False),
        "link_alive": account("fresh@example.org", 2, confirmed=False),
        "confirmed": account("old@example.org", 300, confirmed=True),
    }


def emails() -> set[str]:
    return set(User.objects.values_list("email", flat=True))


def run(*args) -> str:
    out = StringIO()
    call_command("remove_unconfirmed_accounts", *args, stdout=out)
    return out.getvalue()


def test_only_accounts_never_confirmed_past_the_grace_are_removed(accounts):
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(username=accounts["stale"], ip_address="10.0.0.9", user_agent="x",
                                 failures_since_start=2, get_data="", post_data="")
    output = run("--days", "7")
    assert emails() == {accounts["link_alive"], accounts["confirmed"]}
    assert not AccessAttempt.objects.filter(username=accounts["stale"]).exists()
    assert "Removed 1 account" in output
    assert "stale@example.org" not in output  # an address in a timer's log is personal data


def test_the_grace_never_ends_before_the_link_does(accounts):
    run("--days", "1")  # shorter than the link's three days: the link's life counts
    assert accounts["link_alive"] in emails()


def test_a_dry_run_removes_nothing(accounts):
    assert "Would remove 1 account" in run("--days", "7", "--dry-run")
    assert accounts["stale"] in emails()


def test_staff_accounts_are_left_alone(accounts, make_user):
    User.objects.filter(email=accounts["stale"]).update(is_staff=True)
    run("--days", "7")
    assert accounts["stale"] in emails()


@pytest.mark.parametrize("days", ["0", "-3", "x"])
def test_a_bad_grace_is_refused(accounts, days):
    with pytest.raises(CommandError, match="--days"):
        run("--days", days)
    assert len(emails()) == 3
