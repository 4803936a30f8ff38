"""Account forms: registration, email login, profile editing and deleting the account.

Passwords are checked by Django's own validators (AUTH_PASSWORD_VALIDATORS) and hashed by
Django's hashers; nothing here handles a raw password beyond passing it on.
"""
import datetime
import functools
import importlib.resources
import zoneinfo
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth.forms import (
    AuthenticationForm,
    BaseUserCreationForm,
    PasswordChangeForm,
    PasswordResetForm,
)
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import lockout
from .backends import DEACTIVATED_ATTRIBUTE, UNCONFIRMED_ATTRIBUTE
from .models import Role, User, available_time_zones, normalise_email

DUPLICATE_EMAIL = _("An account with this email address already exists.")
DOCTOR_FIELDS = ("licence_number", "workplace")
DOCTOR_FIELD_REQUIRED = _("Doctors give this so that an administrator can verify the account.")


# The zones people choose from: those IANA's zone.tab lists, each country's zones by their
# canonical names. The database also holds tools and legacy aliases (Factory, localtime, EST5EDT,
# GB, Etc/GMT+7 with its sign inverted, US/Eastern, Asia/Calcutta for Asia/Kolkata,
# Asia/Ujung_Pandang for Asia/Makassar) that only confuse a person choosing where they are;
# zone.tab, maintained with the database, names none of them. A saved one stays offered so that
# the form still validates. Without a zone.tab, zones named after a place are offered.
PLACE_REGIONS = ("Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/", "Australia/",
                 "Europe/", "Indian/", "Pacific/")


@functools.cache
def listed_zones() -> frozenset[str]:
    """The zone names of zone.tab, read where zoneinfo reads its zones (the system's TZPATH, else
    the tzdata package); empty when there is none."""
    text = None
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / "zone.tab"
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            break
    else:
        try:
            text = importlib.resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
        except (ModuleNotFoundError, FileNotFoundError):
            return frozenset()
    # Lines: country code, coordinates, zone name[, comment]; "#" starts a comment line.
    return frozenset(line.split("\t")[2] for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


# Indonesia's zones by the names people use for them.
ZONE_NICKNAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def time_zone_choices(keep: str = "") -> list[tuple[str, str]]:
    """The zones to choose from, `keep` (the saved one) included. "Not set" only while nothing is
    saved: choosing it saves settings.TIME_ZONE (ProfileForm.clean_time_zone)."""
    unset = _("Not set (times in %(zone)s)") % {"zone": settings.TIME_ZONE}
    places = listed_zones() & available_time_zones() or {
        name for name in available_time_zones() if name.startswith(PLACE_REGIONS)}
    names = set(places) | {"UTC"}
    if keep in available_time_zones():
        names.add(keep)
    return ([] if keep else [("", unset)]) + [
        (name, name.replace("_", " ") + (f" ({ZONE_NICKNAMES[name]})" if name in ZONE_NICKNAMES else ""))
        for name in sorted(names)]


def _email_taken(email: str, exclude_pk=None) -> bool:
    others = User.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.exists()


# The fields registration and the profile share, with what browsers may fill in.
ACCOUNT_WIDGETS = {
    "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
    "email": forms.EmailInput(attrs={"autocomplete": "email"}),
    "licence_number": forms.TextInput(attrs={"autocomplete": "off"}),
    "workplace": forms.TextInput(attrs={"autocomplete": "organization"}),
}


class RegistrationForm(BaseUserCreationForm):
    """Full name, email, role and a password typed twice."""

    # Declared here, not taken from the model, so that no role is pre-selected: the person
    # must say whether they are a patient or a doctor.
    # aria-invalid="false" until the form comes back without one (Django then writes "true"):
    # Chromium otherwise marked both radios invalid on a fresh page, a required group with none
    # chosen, and a screen reader said "invalid entry" before anything was done.
    role = forms.ChoiceField(
        label=_("I am a"),
        choices=Role.choices,
        widget=forms.RadioSelect(attrs={"aria-invalid": "false"}),
    )

    class Meta:
        model = User
        fields = ("full_name", "email", "role", "licence_number", "workplace")
        widgets = ACCOUNT_WIDGETS
        help_texts = {
            "licence_number": _("Doctors only: your medical licence or registration number (e.g. STR)."),
            "workplace": _("Doctors only: the hospital or practice where you work."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The base class focuses the username (email) field; the form starts with the name.
        self.fields["email"].widget.attrs.pop("autofocus", None)
        self.fields["full_name"].widget.attrs["autofocus"] = True

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") == Role.DOCTOR:
            for name in DOCTOR_FIELDS:
                # A field that failed its own checks (too long) is absent from `cleaned` but was
                # given: its error says what is wrong, "required" would not be true.
                if name not in self.errors and not (cleaned.get(name) or "").strip():
                    self.add_error(name, forms.ValidationError(DOCTOR_FIELD_REQUIRED, code="required"))
        else:
            # A patient's account keeps no doctor details, even when the fields were filled.
            for name in DOCTOR_FIELDS:
                cleaned[name] = ""
        return cleaned

    def save(self, commit=True):
        user = super().save(commit=False)
        # Whatever was posted, a new account is never a verified doctor: an administrator
        # verifies doctors in the admin site. Nor is its address confirmed: the link mailed to
        # it does that (views.verify_email).
        user.doctor_verified_at = None
        user.doctor_verified_by = None
        user.email_verified_at = None
        if commit:
            user.save()
        return user

    def clean_email(self):
        # Whether the address already has an account is not said here: the form answers the same
        # either way, and the view mails the address's holder instead (views.register).
        return normalise_email(self.cleaned_data["email"])

    def _get_validation_exclusions(self):
        # Nor by the model's uniqueness checks (the field's and the case-insensitive constraint's).
        return {*super()._get_validation_exclusions(), "email"}

    @property
    def email_taken(self) -> bool:
        return _email_taken(self.cleaned_data["email"])


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form with the username field presented as an email address.

    The field keeps its name `username` because Django's LoginView and django-axes read it.
    """

    username = forms.CharField(
        label=_("Email address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The email address or the password is not correct."),
        "inactive": _("This account has been deactivated by the site's administrators, so it cannot "
                      "sign in. Ask them if you think this is a mistake."),
        "unconfirmed": _("Your email address is not confirmed yet. Open the link in the email we sent "
                         "when you registered, then log in. No email? Ask for a new link below."),
    }

    def clean(self):
        # Django's backend refuses a deactivated account as it refuses a wrong password, and a
        # doctor whose account was deactivated kept retyping a right one. Said only to someone
        # who gave that account's right password, as the backend found it in its one check
        # (webapp/accounts/backends.py: a second check here was a timing oracle).
        try:
            return super().clean()
        except forms.ValidationError as error:
            if error.code == "invalid_login" and getattr(self.request, DEACTIVATED_ATTRIBUTE, False):
                raise forms.ValidationError(self.error_messages["inactive"], code="inactive") from None
            if error.code == "invalid_login" and getattr(self.request, UNCONFIRMED_ATTRIBUTE, False):
                raise forms.ValidationError(self.error_messages["unconfirmed"], code="unconfirmed") from None
            raise


class ProfileForm(forms.ModelForm):
    """What a person may change about themselves: name, email and time zone, not their role.

    A pending doctor may also correct the licence number and workplace; once verified, only an
    administrator changes them (they are what was verified). A new email address needs the
    current password: whoever controls the address can reset the password, so changing it from a
    borrowed, signed-in browser would hand over the account. It takes effect once the link mailed
    to it is opened (`save`)."""

    time_zone = forms.ChoiceField(
        label=_("Time zone"), required=False,
        widget=forms.Select(attrs={"data-browser-time-zone": True}),
        help_text=_("Dates and times on your pages and reports are shown in this time zone. "
                    "Your browser suggested it; change it if it is wrong."),
    )

    current_password = forms.CharField(
        label=_("Current password"), required=False, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Needed only to change your email address."),
    )
    field_order = ("full_name", "email", "current_password", "time_zone")

    class Meta:
        model = User
        fields = ("full_name", "email", "time_zone", "licence_number", "workplace")
        widgets = ACCOUNT_WIDGETS

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request  # the password check counts against the login lock (axes)
        self.saved_email = self.instance.email  # the instance takes the form's values on cleaning
        self.fields["time_zone"].choices = time_zone_choices(keep=self.instance.time_zone)
        if not self.instance.is_pending_doctor:
            for name in DOCTOR_FIELDS:
                del self.fields[name]
        else:
            for name in DOCTOR_FIELDS:
                self.fields[name].required = True

    def clean_time_zone(self):
        # "Not set (times in UTC)" is kept as UTC: left empty, the browser's zone would be saved
        # over it on the next page (TimeZoneMiddleware), and the choice would not stick.
        return self.cleaned_data.get("time_zone") or settings.TIME_ZONE

    def clean_email(self):
        # An address another account holds is not refused here: the answer would tell whoever
        # asks who has an account. It waits like any other, and its link is never mailed
        # (views.profile tells the holder instead; confirm_new_email refuses it anyway).
        return normalise_email(self.cleaned_data["email"])

    def _get_validation_exclusions(self):
        # The model's own checks of `email` (its unique field and case-insensitive constraint)
        # would refuse a taken address with the message clean_email leaves out; the form field
        # checks its form, and the address is written only once confirmed (unique then).
        return super()._get_validation_exclusions() | {"email"}

    @property
    def email_changed(self) -> bool:
        return self.cleaned_data.get("email", self.saved_email) != self.saved_email

    def save(self, commit=True):
        # A new address waits in `pending_email` until the link mailed to it is opened
        # (views.confirm_new_email): a typo must not take the account's reset mails away.
        if self.email_changed:
            self.instance.pending_email, self.instance.email = self.instance.email, self.saved_email
        return super().save(commit)

    def clean(self):
        cleaned = super().clean()
        if self.email_changed:
            password = cleaned.get("current_password") or ""
            if not password:
                self.add_error("current_password", forms.ValidationError(
                    _("Type your current password to change your email address."),
                    code="password_required"))
            elif not lockout.password_confirmed(self.request, self.instance, password):
                self.add_error("current_password", wrong_password(self.request, _("The password is not correct.")))
        return cleaned


def wrong_password(request, message) -> forms.ValidationError:
    """The error of a wrong password on the account's own pages, with the login page's warning
    when the next wrong one locks the account (they count against the same lock)."""
    errors = [forms.ValidationError(message, code="password_incorrect")]
    if warning := lockout.last_attempts_warning(request):
        errors.append(forms.ValidationError(warning, code="attempts_left"))
    return forms.ValidationError(errors)


class DeleteAccountForm(forms.Form):
    """Deleting an account asks for its password: a borrowed, signed-in browser is not enough."""

    password = forms.CharField(
        label=_("Your password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.request = user, request

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not lockout.password_confirmed(self.request, self.user, password):
            raise wrong_password(self.request, _("The password is not correct."))
        return password


class LimitedPasswordChangeForm(PasswordChangeForm):
    """Django's password change, its old password checked the way a login checks it, so that
    wrong guesses count against the login lock (django-axes)."""

    def __init__(self, user, *args, request=None, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        if not lockout.password_confirmed(self.request, self.user, old_password):
            raise wrong_password(self.request, self.error_messages["password_incorrect"])
        return old_password


# At most one reset mail per address in this time: anyone may ask for any address, and a mail
# per request let a stranger fill an inbox (and spend the site's mail reputation).
RESET_MAIL_INTERVAL = datetime.timedelta(minutes=5)


def claim_mail(user: User, field: str = "password_reset_mailed_at") -> bool:
    """True, and `field` set to now, when no mail of its kind went to the account within
    RESET_MAIL_INTERVAL; False otherwise (send none). Claimed in one UPDATE, so two requests
    at once cannot both send."""
    now = timezone.now()
    return bool(User.objects.filter(pk=user.pk).filter(
        Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lte": now - RESET_MAIL_INTERVAL})
    ).update(**{field: now}))


class LimitedPasswordResetForm(PasswordResetForm):
    """Django's, mailing each account at most once per RESET_MAIL_INTERVAL. The page after it
    is the same whether a mail went or not, so it still tells nobody whether the address has
    an account."""

    def get_users(self, email):
        for user in super().get_users(email):
            if claim_mail(user):
                yield user


class ResendVerificationForm(forms.Form):
    """Asks for a new confirmation link. Answered the same whatever the address (views.py)."""

    email = forms.EmailField(label=_("Email address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))

    def clean_email(self):
        return normalise_email(self.cleaned_data["email"])

    def account_waiting(self) -> User | None:
        """The active account of the address that is still unconfirmed, if its mail may go now."""
        user = User.objects.filter(email__iexact=self.cleaned_data["email"], is_active=True,
                                   email_verified_at__isnull=True).first()
        if user is not None and claim_mail(user, "verification_mailed_at"):
            return user
        return None
