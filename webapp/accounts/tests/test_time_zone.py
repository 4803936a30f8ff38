"""Times in the reader's time zone: detected by the browser (the `tz` cookie that
static/js/accounts.js sets), kept in the profile, editable there, and written with the zone on
pages and in the PDF. Also the doubled full stops: "Dr.." and "a.m.."."""
import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from webapp.accounts.timezones import TimeZoneMiddleware
from webapp.tests.support.screening_helpers import pdf_all_text

User = get_user_model()
pytestmark = pytest.mark.django_db

THREE_AM_UTC = dt.datetime(2026, 3, 4, 3, 5, tzinfo=dt.UTC)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_browsers_zone_is_kept_in_the_profile(bob_client, bob):
    assert bob.time_zone == ""
    bob_client.cookies["tz"] = "Asia/Jakarta"
    bob_client.get(reverse("home"))
    bob.refresh_from_db()
    assert bob.time_zone == "Asia/Jakarta"
    # Later the profile wins over the browser (the person may have chosen it).
    bob_client.cookies["tz"] = "Europe/Paris"
    bob_client.get(reverse("home"))
    bob.refresh_from_db()
    assert bob.time_zone == "Asia/Jakarta"


def test_a_percent_encoded_zone_is_understood(bob_client, bob):
    bob_client.cookies["tz"] = "America%2FArgentina%2FBuenos_Aires"
    bob_client.get(reverse("home"))
    bob.refresh_from_db()
    assert bob.time_zone == "America/Argentina/Buenos_Aires"


@pytest.mark.parametrize("cookie", ["Mars/Olympus_Mons", "../../etc/passwd", "", "x" * 300])
def test_a_cookie_that_is_no_zone_is_ignored(bob_client, bob, cookie):
    bob_client.cookies["tz"] = cookie
    assert bob_client.get(reverse("home")).status_code == 200
    bob.refresh_from_db()
    assert bob.time_zone == ""


def test_the_profile_changes_the_zone_and_refuses_unknown_ones(bob_client, bob):
    page = bob_client.get(reverse("profile")).content.decode()
    assert 'data-browser-time-zone' in page and '<option value="Asia/Jayapura">' in page
    saved = bob_client.post(reverse("profile"), {"full_name": bob.full_name, "email": bob.email,
                                                 "time_zone": "Asia/Makassar"})
    assert saved.status_code == 302
    bob.refresh_from_db()
    assert bob.time_zone == "Asia/Makassar"
    refused = bob_client.post(reverse("profile"), {"full_name": bob.full_name, "email": bob.email,
                                                   "time_zone": "Nowhere/Land"})
    assert refused.status_code == 200 and "time_zone" in refused.context["form"].errors


def test_pages_show_times_in_the_zone_and_say_which(bob_client, bob, make_reading, xray_paths):
    reading = make_reading(bob, xray_paths["normal"][0])
    reading.created_at = THREE_AM_UTC
    reading.save()
    bob.time_zone = "Asia/Jakarta"  # UTC+7, "WIB"
    bob.save()
    for name in ("screening:history", "screening:detail"):
        url = reverse(name, args=[reading.pk]) if name.endswith("detail") else reverse(name)
        page = text(bob_client.get(url))
        assert "March 4, 2026, 10:05 a.m. WIB" in page, name
    bob_client.cookies["django_language"] = "id"
    assert "4 Maret 2026, 10.05 WIB" in text(bob_client.get(reverse("screening:history")))
    bob.time_zone = "America/Chicago"
    bob.save()
    bob_client.cookies["django_language"] = "en"
    assert "March 3, 2026, 9:05 p.m. CST" in text(bob_client.get(reverse("screening:history")))


def test_without_a_zone_times_say_utc(bob_client, bob, make_reading, xray_paths):
    reading = make_reading(bob, xray_paths["normal"][0])
    reading.created_at = THREE_AM_UTC
    reading.save()
    assert "March 4, 2026, 3:05 a.m. UTC" in text(bob_client.get(reverse("screening:history")))


def test_the_pdf_uses_the_owners_zone_and_names_it(bob_client, bob, make_reading, xray_paths):
    reading = make_reading(bob, xray_paths["normal"][0])
    reading.created_at = THREE_AM_UTC
    reading.save()
    bob.time_zone = "Asia/Jayapura"  # UTC+9, "WIT"
    bob.save()
    pdf = pdf_all_text(bob_client.get(reverse("screening:report_pdf", args=[reading.pk])).content)
    assert "March 4, 2026, 12:05 p.m. WIT" in pdf
    bob_client.cookies["django_language"] = "id"
    pdf = pdf_all_text(bob_client.get(reverse("screening:report_pdf", args=[reading.pk])).content)
    assert "4 Maret 2026, 12.05 WIT" in pdf


def test_the_middleware_leaves_no_zone_active_after_a_request(rf, bob):
    request = rf.get("/")
    request.user = bob
    request.COOKIES["tz"] = "Asia/Tokyo"
    seen = {}
    TimeZoneMiddleware(lambda r: seen.setdefault("zone", timezone.get_current_timezone_name()))(request)
    assert seen["zone"] == "Asia/Tokyo"
    assert timezone.get_current_timezone_name() == "UTC"


# --- doubled full stops ---------------------------------------------------------------------

@pytest.mark.parametrize(("zone", "expected"), [
    ("UTC", "Last used March 4, 2026, 3:05 a.m. UTC."),
    ("Asia/Jakarta", "Last used March 4, 2026, 10:05 a.m. WIB."),
])
def test_a_sentence_that_ends_with_a_time_has_one_full_stop(zone, expected):
    template = Template('{% load i18n %}Last used {{ when|date:"DATETIME_FORMAT" }}.')
    with translation.override("en"), timezone.override(zone):
        rendered = template.render(Context({"when": THREE_AM_UTC}))
    assert rendered == expected
    assert ".." not in rendered


def test_the_api_key_page_has_no_doubled_full_stop(bob_client, bob):
    from webapp.screening.models import ApiToken

    ApiToken.issue(bob)
    ApiToken.objects.filter(user=bob).update(created_at=THREE_AM_UTC, last_used_at=THREE_AM_UTC)
    page = text(bob_client.get(reverse("screening:api_token")))
    assert "a.m. UTC" in page
    assert "a.m.." not in page and "p.m.." not in page


@pytest.mark.parametrize(("full_name", "greeting"), [
    ("Dr. Budi Santoso", "Budi"), ("dr. Sari", "Sari"), ("Prof. Dr. Ir. Hadi", "Hadi"),
    ("Ana Patient", "Ana"), ("Dr.", "Dr."), ("Ibu Kartini", "Kartini"),
])
def test_a_greeting_skips_titles(full_name, greeting):
    assert User(full_name=full_name, email="x@example.org").get_short_name() == greeting


def test_confirming_as_dr_says_thank_you_with_one_full_stop(client, mailoutbox):
    password = "lantern-river-orbit-58"
    client.post(reverse("register"), {
        "full_name": "Dr.", "email": "dr@example.org", "role": "patient",
        "password1": password, "password2": password})
    link = re.search(r"https?://[^/\s]+(/accounts/verify-email/\S+/)", mailoutbox[0].body).group(1)
    page = text(client.post(link, follow=True))
    assert "Thank you, Dr. Your email address is confirmed" in page
    assert "Dr.." not in page


def test_the_home_page_greets_a_doctor_by_name(make_user):
    user = make_user(full_name="Dr. Budi Santoso", role="doctor")
    client = Client()
    client.force_login(user)
    page = text(client.get(reverse("home")))
    assert "Hello, Budi" in page and "Dr.." not in page


def test_the_list_offers_places_not_tools_or_legacy_aliases(bob_client, bob):
    html = bob_client.get(reverse("profile")).content.decode()
    for offered in ("Asia/Jakarta (WIB)", "Asia/Makassar (WITA)", "Asia/Jayapura (WIT)", "America/New York", "UTC"):
        assert f">{offered}</option>" in html
    for hidden in ("Factory", "localtime", "EST5EDT", "GB", "Etc/GMT+7", "US/Eastern"):
        assert f'value="{hidden}"' not in html
    # Chosen "Factory" earlier, a person saw dates as "23.21 -00"; a legacy zone already saved
    # stays offered, so the profile can still be saved.
    bob.time_zone = "GB"
    bob.save()
    html = bob_client.get(reverse("profile")).content.decode()
    assert 'value="GB" selected' in html
    response = bob_client.post(reverse("profile"), {"full_name": bob.full_name, "email": bob.email, "time_zone": "GB"})
    assert response.status_code == 302
    assert bob_client.post(reverse("profile"), {"full_name": bob.full_name, "email": bob.email,
                                                "time_zone": "Factory"}).status_code == 200


def test_choosing_not_set_keeps_utc_though_the_browser_says_otherwise(bob_client, bob):
    """The browser's zone fills an empty profile on the next page: "Not set (times in UTC)" is
    saved as UTC so that the choice sticks."""
    bob_client.cookies["tz"] = "Asia/Jakarta"
    bob_client.get(reverse("profile"))
    bob.refresh_from_db()
    assert bob.time_zone == "Asia/Jakarta"
    saved = bob_client.post(reverse("profile"), {"full_name": bob.full_name, "email": bob.email, "time_zone": ""})
    assert saved.status_code == 302
    html = bob_client.get(reverse("profile")).content.decode()
    bob.refresh_from_db()
    assert bob.time_zone == "UTC" and 'value="UTC" selected' in html


def test_the_list_leaves_out_the_backward_aliases(bob_client):
    html = bob_client.get(reverse("profile")).content.decode()
    for alias, name in (("Asia/Ujung_Pandang", "Asia/Makassar"), ("Asia/Calcutta", "Asia/Kolkata"),
                        ("Asia/Saigon", "Asia/Ho_Chi_Minh"), ("Asia/Dacca", "Asia/Dhaka"),
                        ("Africa/Asmera", "Africa/Asmara")):
        assert f'value="{alias}"' not in html and f'value="{name}"' in html
