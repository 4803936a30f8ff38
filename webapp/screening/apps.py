from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "webapp.screening"
    label = "screening"
    verbose_name = "Screening"

    def ready(self) -> None:
        # Connects the signal that removes a deleted reading's files.
        from . import storage  # noqa: F401
