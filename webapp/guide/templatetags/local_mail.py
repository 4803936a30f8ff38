"""{% local_mail_folder as folder %}: where this server writes e-mails instead of sending them.

In local mode (`make run`, Django's file-based e-mail backend) no mail leaves the machine: the
password-reset pages say where the message went. Empty under any other backend (SMTP in
production), so nothing is shown there.
"""
from pathlib import Path

from django import template
from django.conf import settings

register = template.Library()

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


@register.simple_tag
def local_mail_folder() -> str:
    if settings.EMAIL_BACKEND != FILE_BACKEND:
        return ""
    folder = Path(settings.EMAIL_FILE_PATH).resolve()
    try:  # var/sent-emails/ reads better than an absolute path, when it is under the project
        return str(folder.relative_to(settings.REPO_DIR)) + "/"
    except ValueError:
        return str(folder) + "/"
