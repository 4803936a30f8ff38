"""Error reports (the DEBUG page, mails to ADMINS) hide a password written into a URL setting,
as PACS_DICOMWEB_URL carries the PACS's (docs/pacs.md)."""
from __future__ import annotations

import sys

from django.test import RequestFactory, override_settings
from django.views.debug import ExceptionReporter, get_exception_reporter_filter

# The passwords are put together at run time: the report shows this file's source lines too.
SETTING_PASSWORD, LOCAL_PASSWORD = "s3cret" + "-pw", "another" + "-pw"


@override_settings(PACS_DICOMWEB_URL=f"https://radiology:{SETTING_PASSWORD}@pacs.example:8443/dw")
def test_the_pacs_password_is_not_in_an_error_report():
    request = RequestFactory().get("/")
    filter_ = get_exception_reporter_filter(request)
    assert filter_.get_safe_settings()["PACS_DICOMWEB_URL"] == (
        "https://radiology:********************@pacs.example:8443/dw")
    url = f"http://cxr:{LOCAL_PASSWORD}@127.0.0.1:8042/dicom-web"  # a local of the failing code
    try:
        raise ConnectionError(f"cannot reach {url.split('@')[1]}")
    except ConnectionError:
        report = ExceptionReporter(request, *sys.exc_info()).get_traceback_html()
    assert SETTING_PASSWORD not in report and LOCAL_PASSWORD not in report
    assert "pacs.example:8443" in report
