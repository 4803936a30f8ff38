from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "webapp.screening"
    label = "screening"
    verbose_name = _("Screening")

    def ready(self) -> None:
        # Connect the signals that remove a deleted reading's files and a deleted batch's
        # waiting uploads.
        from . import batches, storage  # noqa: F401
