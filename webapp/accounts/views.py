"""Registration, profile, data export and account deletion; every other account page is one of
Django's auth views (login and the password reset are extended here)."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.hashers import make_password
from django.contrib.auth.views import (
    LoginView,
    PasswordChangeView,
    PasswordResetConfirmView,
    PasswordResetView,
)
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import (
    content_disposition_header,
    urlsafe_base64_decode,
    urlsafe_base64_encode,
)
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from webapp.audit.log import record_account_event
from webapp.audit.models import Action

from . import data_export, deletion, export_slots, idle, lockout
from .forms import (
    DOCTOR_FIELDS,
    RESET_MAIL_INTERVAL,
    DeleteAccountForm,
    EmailAuthenticationForm,
    LimitedPasswordChangeForm,
    LimitedPasswordResetForm,
    ProfileForm,
    RegistrationForm,
    ResendVerificationForm,
    claim_mail,
)
from .models import User
from .tokens import email_change_token, email_verification_token

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
    Its API keys are revoked with the new password (User.save), as its sessions are. An address
    not confirmed yet is confirmed by it."""

    def form_valid(self, form):
        response = super().form_valid(form)
        lockout.clear_lockout(form.user)
        # Opening the reset link proved the mailbox as the confirmation link would have.
        if not form.user.is_email_verified:
            form.user.email_verified_at = timezone.now()
            form.user.save(update_fields=["email_verified_at"])
        return response


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def register(request):
    """A new account, unconfirmed: the link mailed to its address confirms it, and only then
    does it sign in. The answer is the same ("check your email") whether or not the address
    already has an account: that holder is mailed that someone tried (at most once every
    forms.RESET_MAIL_INTERVAL), and nothing of theirs changes."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        holder = User.objects.filter(email__iexact=form.cleaned_data["email"]).first()
        if holder is None:
            try:
                with transaction.atomic():
                    user = form.save()
            except IntegrityError:  # registered a moment ago by another request
                holder = User.objects.filter(email__iexact=form.cleaned_data["email"]).first()
            else:
                claim_mail(user, "verification_mailed_at")
                _mail_confirmation_link(request, user)
        if holder is not None:
            # As long as making the account would take: its password is hashed all the same.
            make_password(form.cleaned_data["password1"])
            if claim_mail(holder):
                _mail_registration_attempt(request, holder)
        return redirect("register_done")
    return render(request, "accounts/register.html", {"form": form, "doctor_fields": DOCTOR_FIELDS})


def _mail(request, user: User, template: str, context: dict, to: str = "") -> None:
    """`template`_subject.txt and `template`_email.txt to the account (or to `to`), in the
    request's language."""
    context = {"user": user, "protocol": "https" if request.is_secure() else "http",
               "domain": request.get_host(), **context}
    send_mail(
        subject=render_to_string(f"accounts/{template}_subject.txt", context).strip(),
        message=render_to_string(f"accounts/{template}_email.txt", context),
        from_email=None, recipient_list=[to or user.email],
    )


def _link(user: User, tokens) -> dict:
    """The template context of a mailed link: the account's uidb64, its token from `tokens` (a
    tokens.py generator) and how long it works (both expire as reset links do)."""
    return {"uid": urlsafe_base64_encode(force_bytes(user.pk)), "token": tokens.make_token(user),
            "valid_for": link_lifetime(settings.PASSWORD_RESET_TIMEOUT)}


def _account_of(uidb64: str) -> User | None:
    """The account a mailed link's uidb64 names, or None for one that names none."""
    try:
        return User.objects.get(pk=urlsafe_base64_decode(uidb64).decode())
    except (TypeError, ValueError, OverflowError, User.DoesNotExist):
        return None


def _mail_confirmation_link(request, user: User) -> None:
    _mail(request, user, "confirm_address", _link(user, email_verification_token))


def _mail_new_address_link(request, user: User) -> None:
    _mail(request, user, "confirm_new_address", _link(user, email_change_token), to=user.pending_email)


def _mail_registration_attempt(request, holder: User) -> None:
    _mail(request, holder, "registration_attempt", {})


@login_not_required
@require_safe
def register_done(request):
    """After registering, or asking for a new link: the same page whatever happened."""
    return render(request, "accounts/register_done.html", {
        "valid_for": link_lifetime(settings.PASSWORD_RESET_TIMEOUT),
        "mail_interval_minutes": int(RESET_MAIL_INTERVAL.total_seconds() // 60),
    })


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def verify_email(request, uidb64, token):
    """The mailed link. Opening it shows a button; pressing it confirms the address, then sends
    the person to log in. Only the button confirms: mail scanners and link previews open (GET)
    the links of every mail they see, and must not confirm an address nobody read. It signs
    nobody in: a link read over someone's shoulder, or kept in a mail archive, is not a session."""
    user = _account_of(uidb64)
    if user is None or user.is_email_verified or not email_verification_token.check_token(user, token):
        return render(request, "accounts/verify_email_invalid.html")
    if request.method != "POST":
        return render(request, "accounts/confirm_address.html", {"email": user.email})
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    # Logins tried before the link was opened were refused and counted against the lock; the
    # link proves the mailbox, as a completed reset does, which lifts the lock too.
    lockout.clear_lockout(user)
    # The name ends the sentence: no second full stop after a name that ends in one.
    messages.success(request, _("Thank you, %(name)s. Your email address is confirmed: log in to "
                                "start.") % {"name": user.get_short_name().rstrip(".")})
    # A pending doctor sees the banner of accounts/_pending_doctor.html on every page after
    # logging in, until approved; a message saying the same here was said twice.
    return redirect("login")


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def resend_verification(request):
    """A new confirmation link, for an account still waiting for one. The answer is the same for
    every address; a mail goes at most once every forms.RESET_MAIL_INTERVAL."""
    form = ResendVerificationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if user := form.account_waiting():
            _mail_confirmation_link(request, user)
        return redirect("register_done")
    return render(request, "accounts/resend_verification.html", {"form": form})


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def session_time(request):
    """How long the browser's session has before it ends without activity (GET; not itself
    activity), or the end moved on (POST: "Stay signed in"), as JSON for static/js/session.js.
    Open to all: a session that ended answers that it did, rather than a redirect to log in."""
    idle.leave_idle_time(request)
    signed_in = request.user.is_authenticated
    if signed_in and request.method == "POST":
        idle.keep_alive(request.session)
    return JsonResponse({"signed_in": signed_in, "seconds_left": idle.seconds_left(request.session)
                         if signed_in else 0})


@require_http_methods(["GET", "HEAD", "POST"])
def profile(request):
    # A copy of the account: an invalid form must not leave its values on request.user, which
    # the page header shows.
    account = User.objects.get(pk=request.user.pk)
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=account,
                       request=request)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile has been saved."))
        if form.email_changed:
            # The new address waits (ProfileForm.save) until the link mailed to it is opened. One
            # another account holds gets no link, but its holder hears someone tried (at most one
            # mail every RESET_MAIL_INTERVAL); the page says the same either way.
            holder = User.objects.filter(email__iexact=account.pending_email).exclude(pk=account.pk).first()
            if holder is None:
                _mail_new_address_link(request, account)
            elif claim_mail(holder):
                _mail(request, holder, "address_claimed", {})
            messages.info(request, _(
                "We sent a link to %(new)s. Your address changes when you open it; until then you "
                "log in with %(old)s.") % {"new": account.pending_email, "old": account.email})
        return redirect("profile")
    return render(request, "accounts/profile.html", {
        "form": form, "account": account, "reading_count": account.readings.count(),
    })


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm_new_email(request, uidb64, token):
    """The link mailed to a new address asked for on the profile. Opening it shows a button (as
    verify_email's, for mail scanners); pressing it makes the address the account's (its login
    records follow it, User.save), and the old address is told. Opened where nobody is signed
    in too (a phone's mail app); it signs nobody in."""
    user = _account_of(uidb64)
    if (user is None or not user.pending_email or not email_change_token.check_token(user, token)
            # Registered by its holder since the link was mailed: it is theirs now.
            or User.objects.filter(email__iexact=user.pending_email).exclude(pk=user.pk).exists()):
        return render(request, "accounts/verify_email_invalid.html", {"address_change": True})
    if request.method != "POST":
        return render(request, "accounts/confirm_address.html",
                      {"email": user.pending_email, "address_change": True})
    old_email, user.email, user.pending_email = user.email, user.pending_email, ""
    user.email_verified_at = timezone.now()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # taken by a registration in the same moment
        return render(request, "accounts/verify_email_invalid.html", {"address_change": True})
    _tell_the_old_address(user, old_email)
    messages.success(request, _("Your email address is now %(email)s.") % {"email": user.email})
    return redirect("profile" if request.user.is_authenticated and request.user.pk == user.pk else "login")


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
