"""Fixtures of the hospital finder's tests."""
from io import StringIO

import pytest
from django.core.management import call_command

from webapp.hospitals.models import Hospital


@pytest.fixture(scope="module")
def both_lists(django_db_setup, django_db_blocker, hospitals_dir):
    """Both real lists, imported once for the using module's tests (which only read them),
    removed after them so that other modules start from an empty table."""
    with django_db_blocker.unblock():
        for name in ("indonesia_covid_referral_hospitals.csv", "us_hifld_hospitals.csv"):
            call_command("import_hospitals", str(hospitals_dir / name), stdout=StringIO(), stderr=StringIO())
    yield
    with django_db_blocker.unblock():
        Hospital.objects.all().delete()
