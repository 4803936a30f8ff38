from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "webapp.screening"
    label = "screening"
    verbose_name = "Screening"

    def ready(self) -> None:
        # Connect the signals that remove a deleted reading's files and a deleted batch's
        # waiting uploads.
        from . import batches, storage  # noqa: F401
