"""Django's error reports (the DEBUG page, the e-mails to ADMINS) without passwords in URLs.

Django hides settings whose names look secret (PASSWORD, KEY, TOKEN, ...), but not a password
written into a URL: PACS_DICOMWEB_URL carries the PACS's credentials
(https://user:password@pacs/dicom-web, docs/pacs.md). This filter hides the password of any
URL-like text in settings and in the local variables a report shows.
"""
from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter

# scheme://user:password@ -> scheme://user:********@
URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)[^/\s@]+@")


def hide_url_passwords(text: str) -> str:
    hidden = SafeExceptionReporterFilter.cleansed_substitute
    return URL_PASSWORD.sub(lambda m: m.group("head") + hidden + "@", text)


class UrlPasswordHidingFilter(SafeExceptionReporterFilter):
    def cleanse_setting(self, key, value):
        value = super().cleanse_setting(key, value)
        return hide_url_passwords(value) if type(value) is str else value

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, hide_url_passwords(value) if type(value) is str else value)
                for name, value in super().get_traceback_frame_variables(request, tb_frame)]
