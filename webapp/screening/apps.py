from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "webapp.screening"
    label = "screening"
    verbose_name = _("Screening")

    def ready(self) -> None:
        from django.core import checks

        from webapp.health import check_static_manifest

        # Connect the signals that remove a deleted reading's files and a deleted batch's
        # waiting uploads.
        from . import batches, storage  # noqa: F401

        # Production's missing static files manifest, for `check --deploy` (webapp/health.py);
        # registered here as the webapp package itself is no app.
        checks.register(check_static_manifest, checks.Tags.staticfiles, deploy=True)
