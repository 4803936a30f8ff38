"""`manage.py cleanup_orphans` refuses a negative --min-age-minutes (it ran as if 0, removing
folders of uploads still being saved) and says its dry run in words that read."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("minutes", ["-5", "-0.5", "nan"])
def test_a_negative_or_missing_age_is_refused(media_root, minutes):
    with pytest.raises(CommandError, match="--min-age-minutes must be a number of minutes, 0 or more"):
        call_command("cleanup_orphans", "--min-age-minutes", minutes, stdout=io.StringIO())


def test_zero_minutes_is_accepted(media_root):
    out = io.StringIO()
    call_command("cleanup_orphans", "--min-age-minutes", "0", stdout=out)
    assert "0 temporary file(s) removed." in out.getvalue()


def test_the_dry_run_summary_says_what_would_be_removed(media_root):
    out = io.StringIO()
    call_command("cleanup_orphans", "--dry-run", stdout=out)
    assert out.getvalue().strip().endswith("0 temporary file(s) would be removed.")
