from django.contrib import admin, messages
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .importing import recheck_source
from .models import Hospital

# Fields whose change may change what the location checks find.
CHECKED_FIELDS = {"name", "address", "city", "region", "country", "latitude", "longitude", "source"}


@admin.register(Hospital)
class HospitalAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "region", "country", "status", "source"]
    list_filter = ["status", "source", "country"]
    search_fields = ["name", "city", "region", "address"]
    # Written by the location checks, on import and on every save here: not typed by hand.
    readonly_fields = ["location_checks"]
    exclude = ["location_flags"]

    @admin.display(description=gettext_lazy("Location checks"))
    def location_checks(self, hospital: Hospital) -> str:
        return " ".join(hospital.flag_messages()) or _("Nothing doubtful found.")

    def save_model(self, request, obj, form, change):
        """Saved, then checked as an import checks its rows: the finder warns beside a row whose
        position does not fit its town, and stops warning once an administrator corrected it."""
        super().save_model(request, obj, form, change)
        if change and not CHECKED_FIELDS & set(form.changed_data):
            return
        changed = recheck_source(obj.source)
        obj.refresh_from_db(fields=["location_flags", "updated_at"])
        if obj.location_flags:
            self.message_user(request, _("The location checks doubt this hospital's map position or address: "
                                         "%(reasons)s The finder warns beside it.") % {
                "reasons": " ".join(obj.flag_messages())}, messages.WARNING)
        if others := sum(1 for hospital in changed if hospital.pk != obj.pk):
            self.message_user(request, ngettext(
                "The location checks changed what they say about %(count)s other hospital of this list.",
                "The location checks changed what they say about %(count)s other hospitals of this list.",
                others) % {"count": number_format(others, force_grouping=True)}, messages.INFO)
