from django.apps import AppConfig


class HospitalsConfig(AppConfig):
    name = "webapp.hospitals"
    label = "hospitals"
