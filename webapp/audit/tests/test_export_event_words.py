"""The data export is recorded as its archive starts to go out (it is streamed, 26dc9ad), so the
event cannot know that it arrived: it said "downloaded all their data" also for a download cut
after 10 bytes (a security audit). It now says the download started, in both languages, in the
admin's audit list and the person's own activity.json alike."""
from __future__ import annotations

from django.utils import translation

from webapp.audit.models import Action


def test_the_export_event_says_the_download_started():
    with translation.override("en"):
        assert str(Action.EXPORT_DATA.label) == "started downloading all their data"
    with translation.override("id"):
        assert str(Action.EXPORT_DATA.label) == "mulai mengunduh semua datanya"
