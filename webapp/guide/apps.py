from django.apps import AppConfig


class GuideConfig(AppConfig):
    name = "webapp.guide"
    label = "guide"
