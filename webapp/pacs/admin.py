from django.contrib import admin

from .models import PacsStudy


@admin.register(PacsStudy)
class PacsStudyAdmin(admin.ModelAdmin):
    """Progress of the PACS link: filter by state to see what is queued, skipped or failed."""

    list_display = ("study_instance_uid", "state", "view_position", "reading", "reason_code",
                    "found_at", "written_at")
    list_filter = ("state", "reason_code")
    search_fields = ("study_instance_uid", "sop_instance_uid")
    readonly_fields = [f.name for f in PacsStudy._meta.fields]
    raw_id_fields = ("reading",)

    def has_add_permission(self, request):
        return False
