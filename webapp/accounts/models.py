"""The person using the app: a patient or a doctor, who signs in with an email address.

A doctor account starts *pending*: it holds the licence number and workplace the person gave,
and has a patient's rights until an administrator verifies it in the admin site
(`doctor_verified_at`). `User.is_doctor` is true only for verified doctors; it is the one
check every doctor right goes through (webapp/screening/forms.py is_doctor delegates to it).
"""
import re
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def normalise_email(email: str) -> str:
    """One spelling per address: `Ana@Example.org ` and `ana@example.org` are the same account.

    The whole address is lower-cased (not only the domain as Django does by default) because
    people type their address with varying capitals and real mail providers ignore case.
    """
    return (email or "").strip().lower()


# Titles people put before their name. A greeting uses the first word that is not one of them:
# "Dr. Budi Santoso" is greeted "Budi", never "Dr." (which also made "Welcome, Dr.." happen).
HONORIFICS = frozenset({
    "dr", "drs", "dra", "dokter", "prof", "professor", "mr", "mrs", "ms", "miss", "mx", "sir",
    "madam", "bapak", "pak", "ibu", "bu", "sdr", "sdri", "h", "hj", "ir",
})


def _is_honorific(word: str) -> bool:
    return word.strip(".,").casefold() in HONORIFICS


def valid_time_zone(name: str) -> bool:
    """True for an IANA zone name this server knows ("Asia/Jakarta"), False for anything else."""
    if not name or len(name) > 64 or not re.fullmatch(r"[A-Za-z0-9_+\-/]+", name):
        return False
    return name in available_time_zones()


_ZONES: frozenset[str] | None = None


def available_time_zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(zoneinfo.available_timezones())
    return _ZONES


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    DOCTOR = "doctor", _("Doctor")


class UserQuerySet(models.QuerySet):
    """The accounts a doctor's rights depend on, as User.is_doctor and User.is_pending_doctor say
    of one account: the one rule, for lists (the admin's filter, banner and actions)."""

    def verified_doctors(self):
        return self.filter(role=Role.DOCTOR, doctor_verified_at__isnull=False)

    def pending_doctors(self):
        return self.filter(role=Role.DOCTOR, doctor_verified_at__isnull=True)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        # Django's ModelBackend looks users up through this: make the login case-insensitive.
        return self.get(email__iexact=normalise_email(email))

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=normalise_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser needs is_staff=True and is_superuser=True")
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """An account. The email address is the login; there is no separate username.

    `role` is chosen once at registration and only an administrator may change it (in the
    admin site): a patient must not be able to turn into a doctor from the profile page.
    """

    email = models.EmailField(
        _("email address"),
        unique=True,
        error_messages={"unique": _("An account with this email address already exists.")},
    )
    full_name = models.CharField(_("full name"), max_length=150)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.PATIENT)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Designates whether the user can log into the admin site."),
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Unselect this instead of deleting accounts."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    # A doctor's credentials as given at registration, and the verification by an administrator.
    licence_number = models.CharField(_("licence number"), max_length=64, blank=True, default="")
    workplace = models.CharField(_("workplace"), max_length=200, blank=True, default="")
    doctor_verified_at = models.DateTimeField(
        _("doctor verified at"), null=True, blank=True,
        help_text=_("Empty: a doctor account is pending and has a patient's rights."),
    )
    doctor_verified_by = models.ForeignKey(
        "self", verbose_name=_("doctor verified by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    # IANA name ("Asia/Jakarta"); empty until the browser has told us (webapp/accounts/timezones.py).
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, default="")
    # When a password-reset link was last mailed to the account: at most one mail per address
    # every forms.RESET_MAIL_INTERVAL, whoever asks (anyone may, for any address).
    password_reset_mailed_at = models.DateTimeField(_("reset link mailed at"), null=True, blank=True,
                                                    editable=False)

    # When the holder opened the link mailed at registration (or completed a password reset, which
    # proves the mailbox as well). Registration leaves it empty, and an account without it cannot
    # sign in (backends.AccountBackend). Accounts made any other way (an administrator, the
    # `createsuperuser` command, and all those made before verification existed: migration 0004)
    # count as confirmed when made.
    email_verified_at = models.DateTimeField(_("email confirmed at"), null=True, blank=True,
                                             default=timezone.now)
    # When a confirmation link was last mailed: at most one mail per address every
    # forms.RESET_MAIL_INTERVAL, as for reset links.
    verification_mailed_at = models.DateTimeField(_("confirmation link mailed at"), null=True, blank=True,
                                                  editable=False)
    # A new address asked for on the profile, until the link mailed to it is opened
    # (views.confirm_new_email): the account signs in, and gets reset mails, at `email` until then.
    pending_email = models.EmailField(_("new email address awaiting confirmation"), blank=True,
                                      default="", editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # A safety net under the normalisation in save(): writes that bypass it
            # (bulk_create, raw SQL) still cannot create a second account per address.
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message=_("An account with this email address already exists."),
            ),
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        # A new password (set_password keeps the raw one until the save) ends the account's API
        # keys, whoever sets it: the owner, a reset, an administrator, `changepassword`. Its
        # other sessions end by Django's session hash; a key made in a borrowed browser, or by
        # whoever stole the account, must not outlive it by up to 365 days.
        new_password = self.pk is not None and self._password is not None
        self._save_moving_logins(*args, **kwargs)
        if new_password:
            self.api_tokens.all().delete()

    def _save_moving_logins(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if self.pk is None or (update_fields is not None and "email" not in update_fields):
            super().save(*args, **kwargs)
            return
        from . import lockout

        # A new address takes the old one's login records along (profile or admin site alike),
        # in one transaction with the change: they are the account's, exported and deleted with it.
        with transaction.atomic():
            old_email = User.objects.filter(pk=self.pk).values_list("email", flat=True).first()
            super().save(*args, **kwargs)
            if old_email and old_email != self.email:
                lockout.move_logins(old_email, self.email)

    def clean(self):
        super().clean()
        self.email = normalise_email(self.email)

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        # The first word of the name that is not a title is what a greeting uses ("Hello, Ana";
        # "Dr. Budi Santoso" -> "Budi"). A name of titles only is greeted in full.
        words = self.full_name.split()
        if not words:
            return self.email
        return next((w for w in words if not _is_honorific(w)), self.full_name.strip())

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_doctor(self) -> bool:
        """A verified doctor: the only kind of account with doctor rights (for lists:
        UserQuerySet.verified_doctors)."""
        return self.role == Role.DOCTOR and self.doctor_verified_at is not None

    @property
    def is_pending_doctor(self) -> bool:
        """Registered as a doctor, not verified yet: a patient's rights until then."""
        return self.role == Role.DOCTOR and self.doctor_verified_at is None

    def role_label(self) -> str:
        if self.is_pending_doctor:
            return str(_("Doctor (awaiting verification)"))
        return str(self.get_role_display())

    def zone(self) -> zoneinfo.ZoneInfo:
        """The account's time zone, or the server's TIME_ZONE when it is not known yet."""
        name = self.time_zone if valid_time_zone(self.time_zone) else settings.TIME_ZONE
        return zoneinfo.ZoneInfo(name)
