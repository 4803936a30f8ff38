"""Fixtures of the hospital finder's tests."""
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from webapp.hospitals.models import Hospital
from webapp.tests.support.browser_helpers import BROWSER_LOCALES

INDONESIAN_LIST = "indonesia_covid_referral_hospitals.csv"
# Where the `finder` page's browser says it is, when asked and allowed (central Surabaya).
SURABAYA = (-7.2575, 112.7521)


@pytest.fixture(scope="session")
def both_lists_rows(django_db_setup, django_db_blocker, hospitals_dir) -> list[dict]:
    """The rows `import_hospitals` saves for both real lists (without their ids), imported once
    per session and rolled back: the tests that only read the lists (`both_lists`, and the
    live-server tests, whose database is emptied after each test) put them back with one insert
    instead of rerunning the import and its location checks (four seconds each time)."""
    with django_db_blocker.unblock(), transaction.atomic():
        before = set(Hospital.objects.values_list("id", flat=True))
        for name in ("indonesia_covid_referral_hospitals.csv", "us_hifld_hospitals.csv"):
            call_command("import_hospitals", str(hospitals_dir / name), stdout=StringIO(), stderr=StringIO())
        rows = [row for row in Hospital.objects.order_by("id").values() if row.pop("id") not in before]
        transaction.set_rollback(True)
    return rows


@pytest.fixture(scope="module")
def both_lists(django_db_blocker, both_lists_rows):
    """Both real lists, stored once for the using module's tests (which only read them),
    removed after them so that other modules start from an empty table."""
    with django_db_blocker.unblock():
        Hospital.objects.bulk_create([Hospital(**row) for row in both_lists_rows], batch_size=500)
    yield
    with django_db_blocker.unblock():
        Hospital.objects.all().delete()


@pytest.fixture
def indonesian_list(hospitals_dir):
    """The Indonesian list, imported for one test (the places its tests search are in Indonesia)."""
    call_command("import_hospitals", str(hospitals_dir / INDONESIAN_LIST), stdout=StringIO(), stderr=StringIO())


@pytest.fixture
def finder(chromium_browser, live_server, indonesian_list, request):
    """A visitor's finder page (not yet opened), in the (language, width) of `request.param`, map
    tiles blocked (tests run offline), with a location to give (SURABAYA) but no permission to
    give it; `page.language`, `page.width`, `page.base` (the server's URL) and
    `page.given_location` set."""
    language, width = request.param
    context = chromium_browser.new_context(viewport={"width": width, "height": 740 if width < 500 else 900},
                                           locale=BROWSER_LOCALES[language],
                                           geolocation={"latitude": SURABAYA[0], "longitude": SURABAYA[1]})
    context.clear_permissions()
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    context.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.language, page.width, page.base, page.given_location = language, width, live_server.url, SURABAYA
    yield page
    context.close()
