"""The `<id:...>` path converter: a database id, or no match at all.

Django's `<int:...>` takes any run of digits, so `/readings/9223372036854775808/` reached the
views with a number no database column can hold, and code after the lookup (the audit log's
BigIntegerField) overflowed into a 500. Every model here has a BigAutoField primary key
(settings.DEFAULT_AUTO_FIELD), which holds 1..2**63-1 (SQLite's INTEGER and PostgreSQL's
bigint); an id outside that range names no row, so the URL simply does not match: the API's
catch-all answers its JSON 404 and the pages the normal 404 page. Registered once, here, when a
URL module imports it; both webapp/screening/urls.py and api_urls.py use it.
"""
from __future__ import annotations

from django.urls import register_converter

MIN_ID = 1
MAX_ID = 2**63 - 1


class DatabaseIdConverter:
    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        number = int(value)  # ValueError (e.g. over 4300 digits) -> no match, like out of range
        if not MIN_ID <= number <= MAX_ID:
            raise ValueError(f"id {value} is outside {MIN_ID}..{MAX_ID}")
        return number

    def to_url(self, value) -> str:
        # reverse() with an impossible id fails (NoReverseMatch) rather than build a dead link.
        return str(self.to_python(str(int(value))))


register_converter(DatabaseIdConverter, "id")
