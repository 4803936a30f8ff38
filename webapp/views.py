"""Project-level views that belong to no single app: the public landing page, the signed-in home
page (the dashboard that links to the main features), and the answers to a mistyped address
(`page_not_found`, the 404 handler: JSON under /api/) and to a form post whose security token
failed (`csrf_failure`, CSRF_FAILURE_VIEW: JSON for upload.js's requests), otherwise as pages, and
to a request that could not be read (`bad_request`, the 400 handler)."""
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import DisallowedHost
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_safe

from webapp.guide.model_card import load_card
from webapp.screening.api_problems import is_api_path
from webapp.screening.api_views import api_error
from webapp.screening.outcomes import percent_text


@login_not_required
@require_safe
def landing(request):
    """What the product is, for visitors. Signed-in people go straight to their home page."""
    if request.user.is_authenticated:
        return redirect("home")
    return render(request, "landing.html", {"unseen_accuracy": _unseen_accuracy()})


def _unseen_accuracy() -> str | None:
    """How often a model trained the installed model's way was right on collections it never
    saw (the card's source split), as "38%": a clinic's first X-ray is from such a hospital, so a
    visitor reads it before registering. None when the card has no such measurement."""
    card = load_card()
    value = ((card.metric("source", "accuracy") or {}) if card else {}).get("value")
    return percent_text(100 * value, 0) if isinstance(value, int | float) else None


@require_safe
def home(request):
    return render(request, "home.html")


def bad_request(request, exception=None):
    """handler400: what could not be read, in the reader's language. A request for an address the
    site does not answer to (DisallowedHost: not in ALLOWED_HOSTS) says so; the advice about
    uploading fewer files is for the other kinds (too many files or fields for one request),
    not for a visitor who only opened the home page."""
    if isinstance(exception, DisallowedHost):
        # Nothing for operators here: anyone can send any Host header, and the log names the
        # cause (django.security.DisallowedHost) for the operator.
        message = _("This server does not answer to the address in your browser's address bar. "
                    "Check the address, or use the one the site's operator gave you.")
    else:
        message = _("The server could not read what was sent. If you uploaded many files at once, "
                    "upload fewer in each go; otherwise go back and try again.")
    return render(request, "400.html", {"message": message}, status=400)


def page_not_found(request, exception=None):
    """handler404: a JSON error under /api/ (programs parse it), the normal 404 page elsewhere.

    The API's own catch-all route answers most unknown API paths; this covers every 404 that
    no API view answered (e.g. /api/v2/, or an Http404 raised outside an API view)."""
    if is_api_path(request):
        return api_error(404, "not_found", "No such API route; see /api/v1/openapi.json.")
    return defaults.page_not_found(request, exception)


@login_not_required
def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent without its security token, most often from a page left
    open past a sign-out or a session's end. Django's own page is bare English for developers;
    this one says what happened and that nothing was saved, in the reader's language, and
    upload.js gets the same sentence as JSON for the file's row."""
    message = _("The page's security check failed, so nothing was sent or saved. This happens "
                "when a page stays open after you sign out or your session ends, or when the "
                "browser blocks cookies. Reload the page and try again.")
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        return JsonResponse({"error": {"code": "csrf_failed", "message": message}}, status=403)
    return render(request, "403_csrf.html", {"message": message}, status=403)
