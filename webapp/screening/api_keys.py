"""The API key page: a user's keys for the JSON API, listed by name, with their expiry, last use
and rate limit; make a new one (shown this once only, after the password is typed) or revoke any
of them."""
from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from webapp.accounts.lockout import password_confirmed

from .api_models import DEFAULT_EXPIRY_DAYS, EXPIRY_CHOICES_DAYS, RATE_WINDOW_SECONDS, ApiToken
from .api_views import MAX_BATCH_FILES
from .converters import MAX_ID, MIN_ID

# More keys than this is a sign of keys made and forgotten: revoke one first.
MAX_KEYS_PER_USER = 20


def _expiry_choices():
    return [(days, ngettext("%(days)d day", "%(days)d days", days) % {"days": days})
            for days in sorted(EXPIRY_CHOICES_DAYS)]


class NewKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False,
                           help_text=_("Which program uses it, e.g. “PACS export script”."),
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    expires_in_days = forms.TypedChoiceField(label=_("Expires after"), coerce=int,
                                             initial=DEFAULT_EXPIRY_DAYS, required=False,
                                             empty_value=DEFAULT_EXPIRY_DAYS)
    # A key reads all the readings for up to a year: as for a new email address or deleting the
    # account, a borrowed, signed-in browser is not enough, and wrong guesses count against the
    # login lock (django-axes).
    current_password = forms.CharField(
        label=_("Current password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.fields["expires_in_days"].choices = _expiry_choices()

    def clean_current_password(self):
        password = self.cleaned_data["current_password"]
        if not password_confirmed(self.request, self.request.user, password):
            raise forms.ValidationError(_("The password is not correct."), code="password_incorrect")
        return password


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def api_token(request):
    """List, create and revoke the user's API keys; a new key is shown this once only."""
    new_key, new_token = None, None
    form = NewKeyForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "revoke":
            revoked, _n = ApiToken.objects.filter(user=request.user,
                                                  pk=_int(request.POST.get("token"))).delete()
            if revoked:
                messages.success(request, _("The key was revoked: programs using it are refused from now on."))
            return redirect("screening:api_token")
        if action == "create":
            form = NewKeyForm(request.POST, request=request)
            if ApiToken.objects.filter(user=request.user).count() >= MAX_KEYS_PER_USER:
                form.add_error(None, _("You have %(n)d keys, the most allowed: revoke one first.")
                               % {"n": MAX_KEYS_PER_USER})
            if form.is_valid():
                name = form.cleaned_data["name"].strip() or str(_("API key"))
                new_token, new_key = ApiToken.issue(
                    request.user, name=name,
                    expires_in=timedelta(days=form.cleaned_data["expires_in_days"]))
                form = NewKeyForm()
            else:
                status = 400
    tokens = list(ApiToken.objects.filter(user=request.user))
    now = timezone.now()
    for token in tokens:
        token.is_expired = token.expires_at <= now
    return render(request, "screening/api_token.html", {
        "tokens": tokens, "new_key": new_key, "new_token": new_token, "form": form,
        "rate_window_seconds": RATE_WINDOW_SECONDS, "max_batch_files": MAX_BATCH_FILES,
        "api_base": request.build_absolute_uri(reverse("api:readings")),
        "schema_url": reverse("api:openapi"), "docs_url": reverse("api:docs"),
    }, status=status)


def _int(value) -> int | None:
    """A posted id, or None for anything no row can have (never an overflow in the query)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if MIN_ID <= number <= MAX_ID else None
