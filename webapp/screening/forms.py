"""Forms of the screening pages: the text fields beside an upload (the files themselves are read
from request.FILES; a DICOM file's PatientID, when asked for, by patient_ids.py), a doctor's
reference and note on a reading, and the history's filters. Every reference typed in them goes
through patient_ids.patient_reference, as a DICOM PatientID does."""
from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db.models.functions import Coalesce, TruncDate
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from .models import (
    OUTCOME_COVID,
    OUTCOME_NORMAL,
    OUTCOME_PNEUMONIA,
    OUTCOME_UNCERTAIN,
    Reading,
)
from .patient_ids import (
    REFERENCE_MAX_LENGTH,
    patient_reference,
    tidy_reference,
    uploaded_patient_id,
)

# What a reference field takes as sent: room for the invisible characters and spaces that come
# with a pasted reference (tidied away before its characters are counted), still a bound on the
# text. Counting what was sent instead cut or refused a 64-character reference pasted with a
# zero-width space in it.
TYPED_REFERENCE_MAX = 4 * REFERENCE_MAX_LENGTH


def typed_reference(value) -> str:
    """A reference as typed, tidied as every reference is (patient_ids), then refused (a
    ValidationError in the reader's language) when longer than REFERENCE_MAX_LENGTH: never cut."""
    tidy = tidy_reference(value or "")
    MaxLengthValidator(REFERENCE_MAX_LENGTH)(tidy)
    return tidy


def is_doctor(user) -> bool:
    """Doctor rights: a *verified* doctor only (webapp.accounts.models.User.is_doctor). A doctor
    account waiting for verification has a patient's rights, as does an anonymous user."""
    return bool(getattr(user, "is_doctor", False))


class UploadForm(forms.Form):
    """The text fields beside the upload: an optional reference the person types, and whether a
    DICOM file's own PatientID may be used instead. The file's name is never kept. Only a verified
    doctor's account keeps a reference (the upload page shows these fields to no one else, and
    the page and the API refuse them from anyone else: `asks_for_reference`)."""

    patient_reference = forms.CharField(
        label=_("Reference (optional)"), max_length=TYPED_REFERENCE_MAX, required=False,
        help_text=_("A record number or a short label of your own, to find this reading again. "
                    "Avoid names: the file's name is not kept."),
        widget=forms.TextInput(attrs={"autocomplete": "off",
                                      "aria-describedby": "id_patient_reference_helptext"}),
    )
    reference_from_dicom = forms.BooleanField(
        label=_("Use the DICOM file's Patient ID as the reference"), required=False,
        help_text=_("Only for DICOM files, and only when no reference is typed above."),
        widget=forms.CheckboxInput(attrs={"aria-describedby": "id_reference_from_dicom_helptext"}),
    )

    def clean_patient_reference(self) -> str:
        return typed_reference(self.cleaned_data.get("patient_reference"))

    def asks_for_reference(self) -> bool:
        """Whether the data sent asks to keep a reference, valid or not: a typed one (once tidied)
        or the DICOM file's PatientID."""
        if not self.is_bound:
            return False
        typed = self.data.get(self.add_prefix("patient_reference"), "")
        field = self.fields["reference_from_dicom"]
        flag = field.widget.value_from_datadict(self.data, self.files, self.add_prefix("reference_from_dicom"))
        return bool(tidy_reference(typed)) or field.to_python(flag)

    def reference_for(self, uploaded_file) -> str:
        """The reference to keep with the reading of `uploaded_file`: the typed one, else (when
        the person opted in) the DICOM PatientID, else ""."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        typed = data.get("patient_reference") or ""
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
            "patient_reference": forms.TextInput(attrs={"autocomplete": "off"}),
            "note": forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
        }
        help_texts = {
            "patient_reference": _("Your own reference (e.g. a record number). Avoid full names."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The column's 64 characters are counted once the reference is tidied (typed_reference),
        # not on what was sent, which may carry invisible characters.
        field = self.fields["patient_reference"]
        field.max_length = TYPED_REFERENCE_MAX
        field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
        field.validators.append(MaxLengthValidator(TYPED_REFERENCE_MAX))
        field.widget.attrs["maxlength"] = str(TYPED_REFERENCE_MAX)

    def clean_patient_reference(self) -> str:
        return typed_reference(self.cleaned_data.get("patient_reference"))


# The history's date filters take days in these years only: a reading older than 2000 or newer
# than 2099 cannot exist, and a year such as 0001 or 9999 would overflow when the day is turned
# into an instant of the reader's time zone.
FIRST_FILTER_DAY = datetime.date(2000, 1, 1)
LAST_FILTER_DAY = datetime.date(2099, 12, 31)
ORDER_NEWEST, ORDER_OLDEST = "newest", "oldest"


def _sensible_day(day: datetime.date) -> None:
    if not FIRST_FILTER_DAY <= day <= LAST_FILTER_DAY:
        raise ValidationError(
            _("Enter a date between %(first)s and %(last)s."), code="date_out_of_range",
            params={"first": formats.date_format(FIRST_FILTER_DAY, "DATE_FORMAT"),
                    "last": formats.date_format(LAST_FILTER_DAY, "DATE_FORMAT")})


def _day_field(label) -> forms.DateField:
    """A day as an HTML date input (always sent as YYYY-MM-DD, whatever the page's language)."""
    return forms.DateField(
        label=label, required=False, validators=[_sensible_day],
        widget=forms.DateInput(format="%Y-%m-%d", attrs={
            "type": "date", "min": FIRST_FILTER_DAY.isoformat(), "max": LAST_FILTER_DAY.isoformat()}))


def xray_day():
    """The day a reading's X-ray was taken, as a query expression: its DICOM date (Reading.taken_on,
    taken_on.py), else the day it was uploaded in the current time zone (the reader's). The
    history's day filters and order and the compare page's order all use it, so that an old film
    uploaded today is listed, found and compared as the older X-ray."""
    return Coalesce("taken_on", TruncDate("created_at"))


class HistoryFilterForm(forms.Form):
    """GET filters of the history; patient and note only mean something to doctors. The days
    `from` and `to` (both included) and the order are those of the X-ray (`xray_day`: its DICOM
    date, else its upload day in the reader's time zone, the one the page shows times in,
    webapp/accounts/timezones.py), as on the compare page; `order` is not a filter, only the order
    of the list."""

    OUTCOME_CHOICES = [
        ("", _("All outcomes")),
        (OUTCOME_COVID, _("COVID-19 likely")),
        (OUTCOME_PNEUMONIA, _("Pneumonia likely")),
        (OUTCOME_NORMAL, _("No findings")),
        (OUTCOME_UNCERTAIN, _("Uncertain")),
    ]
    ORDER_CHOICES = [(ORDER_NEWEST, _("Newest first")), (ORDER_OLDEST, _("Oldest first"))]
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOME_CHOICES, required=False)
    patient = forms.CharField(label=_("Patient reference"), max_length=TYPED_REFERENCE_MAX, required=False)
    note = forms.CharField(label=_("Note contains"), max_length=100, required=False)
    order = forms.ChoiceField(label=_("Order"), choices=ORDER_CHOICES, required=False)

    def __init__(self, *args, doctor: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword, so the day fields cannot be declared above.
        self.fields["from"] = _day_field(_("X-ray taken from"))
        self.fields["from"].help_text = _("X-ray dates come from the DICOM file; an image without "
                                          "one is dated by the day it was uploaded.")
        self.fields["to"] = _day_field(_("X-ray taken until"))
        self.order_fields(["outcome", "patient", "note", "from", "to", "order"])
        if not doctor:
            del self.fields["patient"]
            del self.fields["note"]

    def days_in_words(self) -> str:
        """The days the list is narrowed to, in the page's words ("X-rays taken from May 1, 2024
        to May 31, 2024"), or "" when none or the filters are not valid: the date boxes show the
        browser's format, which need not be the page's (12/01/2026 on an Indonesian page)."""
        if not self.is_bound or not self.is_valid():
            return ""
        first, last = (self.cleaned_data.get(name) for name in ("from", "to"))
        words = {"first": first and formats.date_format(first, "DATE_FORMAT"),
                 "last": last and formats.date_format(last, "DATE_FORMAT")}
        if first and last:
            return _("X-rays taken from %(first)s to %(last)s") % words
        if first:
            return _("X-rays taken on or after %(first)s") % words
        if last:
            return _("X-rays taken on or before %(last)s") % words
        return ""

    def clean_patient(self) -> str:
        reference = patient_reference(self.cleaned_data.get("patient"))
        # The box then shows the reference the list is filtered by ("RM 001"), not the text as
        # typed ("  RM\u00a0001 "): what it shows is what was looked for.
        self.data = self.data.copy()
        self.data[self.add_prefix("patient")] = reference
        return reference

    def clean_note(self) -> str:
        # The list is filtered by the note without the spaces around it (CharField strips them);
        # the box then shows that too, as it does the reference.
        note = self.cleaned_data.get("note") or ""
        self.data = self.data.copy()
        self.data[self.add_prefix("note")] = note
        return note

    def clean(self):
        data = super().clean()
        first, last = data.get("from"), data.get("to")
        if first and last and last < first:
            self.add_error("to", ValidationError(_("The end date is before the start date."),
                                                 code="to_before_from"))
        return data

    def filter(self, queryset):
        """The readings these filters keep, in the order asked for (by X-ray day, then upload
        time; newest first unless asked otherwise); none while a filter is invalid (an unknown
        outcome, a note over 100 characters, a malformed or absurd date, a `to` before `from`):
        showing or exporting everything would look like a match."""
        queryset = queryset.annotate(xray_day=xray_day())
        if not self.is_bound:
            return queryset.order_by("-xray_day", "-created_at", "-id")
        if not self.is_valid():
            return queryset.none()
        data = self.cleaned_data
        if data.get("outcome"):
            queryset = queryset.with_outcome(data["outcome"])
        if data.get("patient"):
            queryset = queryset.filter(patient_reference__icontains=data["patient"])
        if data.get("note"):
            queryset = queryset.filter(note__icontains=data["note"].strip())
        if data.get("from"):
            queryset = queryset.filter(xray_day__gte=data["from"])
        if data.get("to"):  # both ends included
            queryset = queryset.filter(xray_day__lte=data["to"])
        if self.oldest_first():
            return queryset.order_by("xray_day", "created_at", "id")
        return queryset.order_by("-xray_day", "-created_at", "-id")

    def oldest_first(self) -> bool:
        """Whether the list is asked for oldest first (also while another filter is invalid, so
        that the page's words and its "Clear" link follow the order chosen)."""
        return self.is_bound and "order" not in self.errors and self.cleaned_data.get("order") == ORDER_OLDEST

    def is_filtering(self) -> bool:
        """Whether a filter narrows the list (the order alone does not)."""
        return self.is_valid() and any(value for name, value in self.cleaned_data.items() if name != "order")
