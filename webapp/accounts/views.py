"""Registration, profile, data export and account deletion; every other account page is one of
Django's auth views (login and the password reset are extended here)."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import (
    LoginView,
    PasswordChangeView,
    PasswordResetConfirmView,
    PasswordResetView,
)
from django.core.mail import send_mail
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from webapp.audit.log import record_account_event
from webapp.audit.models import Action

from . import data_export, deletion, export_slots, lockout
from .forms import (
    DOCTOR_FIELDS,
    DeleteAccountForm,
    EmailAuthenticationForm,
    LimitedPasswordChangeForm,
    LimitedPasswordResetForm,
    ProfileForm,
    RegistrationForm,
)
from .models import User

# Several backends are configured (axes first): login() must be told which one vouched.
MODEL_BACKEND = "webapp.accounts.backends.AccountBackend"
# The login page warns when this many attempts or fewer are left before the lock.
WARN_WHEN_ATTEMPTS_LEFT = lockout.WARN_WHEN_ATTEMPTS_LEFT


class EmailLoginView(LoginView):
    """Django's LoginView (it passes the request to authenticate(), which axes needs), warning
    before the attempt that locks the account, and saying when an idle session ends."""

    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "idle_minutes": settings.SESSION_IDLE_MINUTES}

    def form_invalid(self, form):
        left = lockout.attempts_left(self.request)
        context = {"form": form}
        if left is not None and 0 < left <= WARN_WHEN_ATTEMPTS_LEFT:
            context.update(attempts_left=left, lock_minutes=lockout.lock_minutes())
        return self.render_to_response(self.get_context_data(**context))


class ResetPasswordConfirmView(PasswordResetConfirmView):
    """Django's set-a-new-password step; once the new password is saved, the account's lockout
    is lifted: the reset proved the person owns the mailbox, and the page then says "log in".
    Its API keys are revoked with the new password (User.save), as its sessions are."""

    def form_valid(self, form):
        response = super().form_valid(form)
        lockout.clear_lockout(form.user)
        return response


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend=MODEL_BACKEND)
        # The name ends the sentence: no second full stop after a name that ends in one.
        messages.success(request, _("Welcome, %(name)s. Your account is ready.") % {
            "name": user.get_short_name().rstrip("."),
        })
        # A pending doctor sees the banner of accounts/_pending_doctor.html on every page until
        # approved; a message saying the same beside it was said twice.
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/register.html", {"form": form, "doctor_fields": DOCTOR_FIELDS})


@require_http_methods(["GET", "HEAD", "POST"])
def profile(request):
    # A copy of the account: an invalid form must not leave its values on request.user, which
    # the page header shows.
    account = User.objects.get(pk=request.user.pk)
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=account,
                       request=request)
    if request.method == "POST" and form.is_valid():
        old_email = form.saved_email
        form.save()
        if form.email_changed:
            _tell_the_old_address(account, old_email)
        messages.success(request, _("Your profile has been saved."))
        return redirect("profile")
    return render(request, "accounts/profile.html", {
        "form": form, "account": account, "reading_count": account.readings.count(),
    })


def _tell_the_old_address(account: User, old_email: str) -> None:
    """A changed email address is said to the old one: if someone else changed it, its owner
    learns it there (the new address can reset the password from now on)."""
    context = {"account": account, "old_email": old_email}
    send_mail(
        subject=render_to_string("accounts/email_changed_subject.txt", context).strip(),
        message=render_to_string("accounts/email_changed_email.txt", context),
        from_email=None, recipient_list=[old_email],
    )


@never_cache
@require_safe
def export_data(request):
    """Everything the app keeps about the signed-in person, as one ZIP file, sent as it is
    written (data_export: a long history takes minutes to write whole). The event is recorded
    as the sending starts; a HEAD request gets the headers only, and no event."""
    response = StreamingHttpResponse(content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(
        True, data_export.filename(request.user))
    response["Cache-Control"] = "private, no-store"
    if request.method == "HEAD":
        return response
    try:
        slots = export_slots.take(request.user.pk)
    except export_slots.Busy as busy:
        return _export_busy(request, busy.whose)
    record_account_event(request, Action.EXPORT_DATA)
    response.streaming_content = _in_language(data_export.stream(request.user),
                                              translation.get_language(), slots)
    return response


def _export_busy(request, whose: str):
    """429 with Retry-After: this account's export is still being sent (another tab, a download
    manager's second connection), or the machine is making as many as it may."""
    if whose == "account":
        message = _("Your data is already being prepared for download, in another tab or window. "
                    "Let that download finish, then try again if you need another copy.")
    else:
        message = _("The server is preparing other people's data downloads right now. Try again "
                    "in a few minutes; nothing of yours has changed.")
    response = render(request, "accounts/export_busy.html", {"message": message}, status=429)
    response["Retry-After"] = "60"
    return response


def _in_language(pieces, language: str, slots: list):
    """`pieces` iterated in `language` (the server iterates a streamed answer after the view has
    returned, when the request's language may no longer be active), then the export's slots
    freed: when the archive is sent, or when the download stops (the server closes the answer)."""
    try:
        with translation.override(language):
            yield from pieces
    finally:
        export_slots.release(slots)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def delete_account(request):
    """Delete the account, its readings and their stored files, after the password is typed.
    Not an administrator's: their admin-site history would go with it (deletion.py)."""
    if not deletion.may_delete_themselves(request.user):
        return render(request, "accounts/delete_account.html", {"administrator": True},
                      status=403 if request.method == "POST" else 200)
    form = DeleteAccountForm(request.POST if request.method == "POST" else None, user=request.user,
                             request=request)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        deletion.delete_account(request, user)
        messages.success(request, _("Your account, your readings and their images were deleted."))
        return redirect("landing")
    return render(request, "accounts/delete_account.html", {
        "form": form, "reading_count": request.user.readings.count(),
    })


class LimitedPasswordChangeView(PasswordChangeView):
    """Django's password change with the old password's wrong guesses counted against the login
    lock (forms.LimitedPasswordChangeForm); the account's API keys are revoked (User.save)."""

    form_class = LimitedPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


class TimedPasswordResetView(PasswordResetView):
    """Django's, with the e-mail saying how long its link works (PASSWORD_RESET_TIMEOUT): it
    said only "The link works once", and a link opened after Django's three days was "too old"
    with no way to have known. One mail per address every forms.RESET_MAIL_INTERVAL."""

    form_class = LimitedPasswordResetForm

    def form_valid(self, form):
        self.extra_email_context = {"valid_for": link_lifetime(settings.PASSWORD_RESET_TIMEOUT)}
        return super().form_valid(form)


def link_lifetime(seconds: int) -> str:
    """A reset link's lifetime in words: whole days where it is whole days, else hours (rounded up)."""
    if seconds >= 86400 and seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
    hours = max(1, -(-seconds // 3600))
    return ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}
