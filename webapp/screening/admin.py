"""Admin: administrators see readings' metadata (not the images) and API tokens (not the keys).

A reading's page shows its owner, outcome, probabilities and patient reference: opening it and
deleting readings are audit events of the administrator, as the owner's own looks are."""
from django.contrib import admin

from webapp.audit.log import record_by_administrator
from webapp.audit.models import Action

from .models import ApiToken, Reading


@admin.register(Reading)
class ReadingAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "created_at", "label", "low_confidence", "model_version", "source_format")
    list_filter = ("label", "low_confidence", "model_version", "source_format")
    search_fields = ("owner__email",)
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Reading._meta.fields]

    def has_add_permission(self, request):
        # Readings come from the model, never from a form.
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # The page as shown (not a redirect away from a missing reading, nor a refusal).
        reading = getattr(response, "context_data", {}).get("original")
        if request.method in ("GET", "HEAD") and response.status_code == 200 and reading is not None:
            record_by_administrator(request, Action.ADMIN_VIEW, [reading])
        return response

    def delete_model(self, request, obj):
        # Within the admin's transaction: no event without the deletion, nor the reverse.
        record_by_administrator(request, Action.ADMIN_DELETE, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # "Delete selected readings" in the list: one event per reading.
        record_by_administrator(request, Action.ADMIN_DELETE, queryset.only("id", "owner_id"))
        super().delete_queryset(request, queryset)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "prefix", "created_at", "last_used_at")
    search_fields = ("user__email",)
    readonly_fields = ("user", "key_hash", "prefix", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False
