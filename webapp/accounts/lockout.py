"""How django-axes names the account in a login attempt.

Django's login form posts the email address in a field called `username`, while axes by
default reads the field named after USERNAME_FIELD (`email`) and would see no name at all.
Lower-casing matters too: without it `Ana@x.org`, `ANA@x.org`, ... would each get their own
five attempts and the lockout could be walked around.
"""
from .models import normalise_email


def username_for_axes(request, credentials=None) -> str:
    if credentials and credentials.get("username"):
        return normalise_email(credentials["username"])
    data = getattr(request, "data", None) or getattr(request, "POST", {})
    return normalise_email(data.get("username", ""))
