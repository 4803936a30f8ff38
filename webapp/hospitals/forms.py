"""The search point: typed, from the browser's location, or clicked on the map."""
from django import forms
from django.utils.translation import gettext_lazy as _

DEFAULT_COUNT = 10
MAX_COUNT = 50


class NearestForm(forms.Form):
    lat = forms.FloatField(
        label=_("Latitude"), min_value=-90, max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "placeholder": "-6.2088"}),
        error_messages={"required": _("Enter a latitude."), "invalid": _("Latitude must be a number.")},
    )
    lon = forms.FloatField(
        label=_("Longitude"), min_value=-180, max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "placeholder": "106.8456"}),
        error_messages={"required": _("Enter a longitude."), "invalid": _("Longitude must be a number.")},
    )
    k = forms.IntegerField(
        label=_("How many"), min_value=1, max_value=MAX_COUNT, required=False,
        widget=forms.NumberInput(attrs={"placeholder": str(DEFAULT_COUNT)}),
        error_messages={"invalid": _("The number of hospitals must be a whole number.")},
    )

    def clean_k(self):
        return self.cleaned_data.get("k") or DEFAULT_COUNT
