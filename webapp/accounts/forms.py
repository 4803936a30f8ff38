"""Account forms: registration, email login and profile editing.

Passwords are checked by Django's own validators (AUTH_PASSWORD_VALIDATORS) and hashed by
Django's hashers; nothing here handles a raw password beyond passing it on.
"""
from django import forms
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm
from django.utils.translation import gettext_lazy as _

from .models import Role, User, normalise_email

DUPLICATE_EMAIL = _("An account with this email address already exists.")


def _email_taken(email: str, exclude_pk=None) -> bool:
    others = User.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.exists()


class RegistrationForm(BaseUserCreationForm):
    """Full name, email, role and a password typed twice."""

    # Declared here, not taken from the model, so that no role is pre-selected: the person
    # must say whether they are a patient or a doctor.
    role = forms.ChoiceField(
        label=_("I am a"),
        choices=Role.choices,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = User
        fields = ("full_name", "email", "role")
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The base class focuses the username (email) field; the form starts with the name.
        self.fields["email"].widget.attrs.pop("autofocus", None)
        self.fields["full_name"].widget.attrs["autofocus"] = True

    def clean_email(self):
        email = normalise_email(self.cleaned_data["email"])
        if _email_taken(email):
            raise forms.ValidationError(DUPLICATE_EMAIL, code="duplicate_email")
        return email


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
    }


class ProfileForm(forms.ModelForm):
    """What a person may change about themselves: name and email, not their role."""

    class Meta:
        model = User
        fields = ("full_name", "email")
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def clean_email(self):
        email = normalise_email(self.cleaned_data["email"])
        if _email_taken(email, exclude_pk=self.instance.pk):
            raise forms.ValidationError(DUPLICATE_EMAIL, code="duplicate_email")
        return email
