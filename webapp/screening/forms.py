"""Forms of the screening pages: the text fields beside an upload (the files themselves are read
from request.FILES; a DICOM file's PatientID, when asked for, by patient_ids.py), a doctor's
reference and note on a reading, and the history's filters."""
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
from .patient_ids import REFERENCE_MAX_LENGTH, uploaded_patient_id


def is_doctor(user) -> bool:
    """Doctor rights: a *verified* doctor only (webapp.accounts.models.User.is_doctor). A doctor
    account waiting for verification has a patient's rights, as does an anonymous user."""
    return bool(getattr(user, "is_doctor", False))


class UploadForm(forms.Form):
    """The text fields beside the upload: an optional reference the person types, and whether a
    DICOM file's own PatientID may be used instead. The file's name is never kept."""

    patient_reference = forms.CharField(
        label=_("Reference (optional)"), max_length=REFERENCE_MAX_LENGTH, required=False,
        help_text=_("A record number or a short label of your own, to find this reading again. "
                    "Avoid names: the file's name is not kept."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": REFERENCE_MAX_LENGTH,
                                      "aria-describedby": "id_patient_reference_helptext"}),
    )
    reference_from_dicom = forms.BooleanField(
        label=_("Use the DICOM file's Patient ID as the reference"), required=False,
        help_text=_("Only for DICOM files, and only when no reference is typed above."),
        widget=forms.CheckboxInput(attrs={"aria-describedby": "id_reference_from_dicom_helptext"}),
    )

    def reference_for(self, uploaded_file) -> str:
        """The reference to keep with the reading of `uploaded_file`: the typed one, else (when
        the person opted in) the DICOM PatientID, else ""."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        typed = " ".join((data.get("patient_reference") or "").split())
        if typed:
            return typed
        if data.get("reference_from_dicom") and uploaded_file is not None:
            return uploaded_patient_id(uploaded_file)
        return ""


class AnnotationForm(forms.ModelForm):
    """A doctor's own patient reference and note on a reading."""

    class Meta:
        model = Reading
        fields = ["patient_reference", "note"]
        widgets = {
            "patient_reference": forms.TextInput(attrs={"autocomplete": "off",
                                                        "maxlength": REFERENCE_MAX_LENGTH}),
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
        """The readings these filters keep; none while a filter is invalid (an unknown outcome, a
        note over 100 characters): showing or exporting everything would look like a match."""
        if not self.is_bound:
            return queryset
        if not self.is_valid():
            return queryset.none()
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
