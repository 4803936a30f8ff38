"""In local mode (file-based e-mail, `make run`) the password-reset pages say where the message
went; with real mail (SMTP) they do not."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def test_reset_pages_name_the_folder_in_local_mode(client, settings, tmp_path, test_output):
    settings.EMAIL_BACKEND = FILE_BACKEND
    settings.EMAIL_FILE_PATH = settings.REPO_DIR / "var" / "sent-emails"
    html = client.get(reverse("password_reset")).content.decode()
    assert 'id="local-mail-note"' in html and "var/sent-emails/" in html
    done = client.get(reverse("password_reset_done")).content.decode()
    assert "var/sent-emails/" in done
    client.cookies["django_language"] = "id"
    assert "mode lokal" in client.get(reverse("password_reset")).content.decode()


def test_no_note_with_real_mail(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert 'id="local-mail-note"' not in client.get(reverse("password_reset")).content.decode()
