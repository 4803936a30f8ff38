from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "webapp.screening"
    label = "screening"
