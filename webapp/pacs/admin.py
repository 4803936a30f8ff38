import datetime

from django.contrib import admin, messages
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import PacsStudy

UNREAD = _("The patient ID, accession number and study date are taken from the study's images "
           "when the app opens the study; they are not known for this one.")
READ_AGAIN = _("If this study is still in the PACS, the app will find it again, read it again "
               "and write its results into the PACS. To read a failed study again, run "
               "pacs_ingest --retry-failed instead (docs/pacs.md).")
KEPT = _("A study whose reading exists or was written into the PACS cannot be deleted: the app "
         "would read it again and write its results into the PACS a second time.")


@admin.register(PacsStudy)
class PacsStudyAdmin(admin.ModelAdmin):
    """Progress of the PACS link: filter by state to see what is queued, skipped or failed.

    A record of what the link did, viewed and not edited (the jobs own every field). A row is
    the app's memory that it has seen a study: deleted, the study is read again on the next
    round while it is in the PACS. So a row whose results exist (read or written back) cannot
    be deleted, which would write a second SR and capture into the patient's record. A skipped
    or failed row may be (a study deleted from the PACS): the confirmation says it is read again
    if still there, and that `pacs_ingest --retry-failed` is the way to read one again."""

    # What an operator scans at 1280 px beside the menu and the filters; the rest is on the page.
    list_display = ("study", "state", "patient_id", "accession", "short_reason", "found_on")
    list_filter = ("state", "reason_code")
    search_fields = ("study_instance_uid", "sop_instance_uid", "patient_id", "accession_number")
    raw_id_fields = ("reading",)
    readonly_fields = ("study_day",)

    def get_fieldsets(self, request, obj=None):
        identity = ("patient_id", "issuer_of_patient_id", "issuer_universal_id",
                    "accession_number", "study_date")
        if obj is not None:  # only what is known: a header's empty issuer, or a study not read
            identity = tuple(name for name in identity if getattr(obj, name)
                             or (obj.sop_instance_uid and "issuer" not in name))
        study = (None, {"fields": ("study_instance_uid", "state",
                                   *[("study_day" if n == "study_date" else n) for n in identity],
                                   "instances_listed", "found_at", "updated_at")})
        if obj is None or not obj.sop_instance_uid:
            if not identity:
                study[1]["description"] = UNREAD
            fieldsets = [study]
        else:
            fieldsets = [study, (_("Image read"), {"fields": (
                "series_instance_uid", "sop_instance_uid", "view_position", "reading",
                "read_at")})]
        if obj is not None and (obj.reason_code or obj.reason):
            fieldsets.append((_("Reason"), {"fields": ("reason_code", "reason")}))
        if obj is not None and (obj.sr_instance_uid or obj.written_at):
            fieldsets.append((_("Written into the PACS"), {"fields": (
                "sr_instance_uid", "sc_instance_uid", "written_at")}))
        return fieldsets

    @admin.display(description=_("study instance UID"), ordering="study_instance_uid")
    def study(self, obj):
        """The UID's end, which tells studies of one root apart, whole on hover: a 64-character
        UID left no room for the other columns at 1280 px."""
        uid = obj.study_instance_uid
        short = uid if len(uid) <= 12 else "\u2026\u2060" + uid[-10:]  # no break after "…"
        return format_html('<span title="{}">{}</span>', uid, short)

    @admin.display(description=_("study date"), ordering="study_date")
    def study_day(self, obj):
        try:
            return datetime.datetime.strptime(obj.study_date, "%Y%m%d").date()
        except ValueError:  # not a DICOM date: as the header gave it
            return obj.study_date or self.get_empty_value_display()

    @admin.display(description=_("accession no."), ordering="accession_number", empty_value="-")
    def accession(self, obj):  # a column header as narrow as its values
        return obj.accession_number or None

    @admin.display(description=_("found"), ordering="found_at")
    def found_on(self, obj):
        """The day, the time on hover: date and time took a third of the table."""
        return format_html('<span title="{}">{}</span>',
                           formats.localize(timezone.localtime(obj.found_at)),
                           formats.date_format(timezone.localtime(obj.found_at),
                                               "SHORT_DATE_FORMAT"))

    @admin.display(description=_("reason"), ordering="reason_code")
    def short_reason(self, obj):
        """The reason's start, whole on hover, without the image's UID that opens most."""
        if not obj.reason:
            return None
        text = obj.reason
        if text.startswith("image ") and ": " in text:
            text = text.split(": ", 1)[1]
        return format_html('<span title="{}">{}</span>', obj.reason,
                           Truncator(text).chars(50))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.results_in_pacs:
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        """Say on the confirmation (one row or the selected ones) what deleting leads to."""
        if request.POST.get("post") != "yes":
            if any(study.results_in_pacs for study in objs):
                messages.error(request, gettext(KEPT))
            else:
                messages.warning(request, gettext(READ_AGAIN))
        return super().get_deleted_objects(objs, request)
