"""Forms of the screening pages (the upload itself is read straight from request.FILES)."""
from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import (
    OUTCOME_COVID,
    OUTCOME_NORMAL,
    OUTCOME_PNEUMONIA,
    OUTCOME_UNCERTAIN,
    Reading,
)


def is_doctor(user) -> bool:
    """Doctor rights: a *verified* doctor only (webapp.accounts.models.User.is_doctor). A doctor
    account waiting for verification has a patient's rights, as does an anonymous user."""
    return bool(getattr(user, "is_doctor", False))


class AnnotationForm(forms.ModelForm):
    """A doctor's own patient reference and note on a reading."""

    class Meta:
        model = Reading
        fields = ["patient_reference", "note"]
        widgets = {
            "patient_reference": forms.TextInput(attrs={"autocomplete": "off", "maxlength": 64}),
            "note": forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
        }
        help_texts = {
            "patient_reference": _("Your own reference (e.g. a record number). Avoid full names."),
        }


class HistoryFilterForm(forms.Form):
    """GET filters of the history; patient and note only mean something to doctors."""

    OUTCOME_CHOICES = [
        ("", _("All outcomes")),
        (OUTCOME_COVID, _("COVID-19 likely")),
        (OUTCOME_PNEUMONIA, _("Pneumonia likely")),
        (OUTCOME_NORMAL, _("No findings")),
        (OUTCOME_UNCERTAIN, _("Uncertain")),
    ]
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOME_CHOICES, required=False)
    patient = forms.CharField(label=_("Patient reference"), max_length=64, required=False)
    note = forms.CharField(label=_("Note contains"), max_length=100, required=False)

    def __init__(self, *args, doctor: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not doctor:
            del self.fields["patient"]
            del self.fields["note"]

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        outcome = data.get("outcome")
        if outcome == OUTCOME_UNCERTAIN:
            queryset = queryset.filter(Q(low_confidence=True) | Q(label__isnull=True) | Q(label=""))
        elif outcome:
            queryset = queryset.filter(label=outcome, low_confidence=False)
        if data.get("patient"):
            queryset = queryset.filter(patient_reference__icontains=data["patient"].strip())
        if data.get("note"):
            queryset = queryset.filter(note__icontains=data["note"].strip())
        return queryset

    def is_filtering(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())
