"""Records reading routes in the audit log without touching the views that serve them.

After a response, the route's name says what happened to which reading (the `pk` in the URL).
Only what succeeded is logged as done; a 404 to a signed-in user is logged as `denied`, which
shows someone probing other people's reading ids (one row per account, address and window,
counting them: log.record_denied). Thumbnails are not logged: every history page
shows twenty of them, which would bury the events that matter.
`webapp/audit/tests/test_audit_log.py` fails when a reading route is neither logged nor listed in
NOT_AUDITED, so a new route cannot be forgotten.
"""
from __future__ import annotations

from .log import record, record_denied
from .models import Action

# (route name, HTTP method) -> what the request did to the reading. HEAD counts as GET.
AUDITED = {
    ("screening:detail", "GET"): Action.VIEW,
    ("screening:report", "GET"): Action.VIEW,
    ("screening:original", "GET"): Action.DOWNLOAD_IMAGE,
    ("screening:heatmap", "GET"): Action.DOWNLOAD_IMAGE,
    ("screening:overlay", "GET"): Action.DOWNLOAD_IMAGE,
    ("screening:report_pdf", "GET"): Action.DOWNLOAD_REPORT,
    ("screening:annotate", "POST"): Action.ANNOTATE,
    ("screening:delete", "POST"): Action.DELETE,
    ("api:reading", "GET"): Action.VIEW,
    ("api:reading", "DELETE"): Action.DELETE,
    ("api:image", "GET"): Action.DOWNLOAD_IMAGE,
    ("api:heatmap", "GET"): Action.DOWNLOAD_IMAGE,
    ("api:overlay", "GET"): Action.DOWNLOAD_IMAGE,
    ("api:report_pdf", "GET"): Action.DOWNLOAD_REPORT,
    ("api:fhir", "GET"): Action.VIEW,  # the reading as a FHIR DiagnosticReport: its full content
}
# Reading routes deliberately left out, and why.
NOT_AUDITED = {
    "screening:thumbnail": "small previews in lists; the full image is logged",
    "api:thumbnail": "small previews in lists; the full image is logged",
    "screening:batch": "an upload batch's progress (file states and links); each reading opened "
                       "from it is logged",
    "screening:batch_status": "the batch page's polling: file states only, no reading content",
    "api:batch": "an upload batch's status: file states and reading ids; reading them is logged",
    "screening:site_validation_detail": "a staff-only site report (counts, rates and each case's "
                                        "file name, known class and reading), not a reading: it "
                                        "holds no image, and the form asks for file names that "
                                        "do not identify a patient",
}


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is None or "pk" not in match.kwargs:
            return response
        method = "GET" if request.method == "HEAD" else request.method
        action = AUDITED.get((match.view_name, method))
        if action is None:
            return response
        user = getattr(request, "user", None)  # API views set it from the token
        if user is None or not user.is_authenticated:
            return response
        if response.status_code == 404:
            record_denied(request, match.kwargs["pk"])
        elif response.status_code < 400:
            record(request, action, match.kwargs["pk"])
        return response
