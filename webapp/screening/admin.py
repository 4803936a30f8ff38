"""Admin: administrators see readings' metadata (not the images) and API tokens (not the keys)."""
from django.contrib import admin

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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "prefix", "created_at", "last_used_at")
    search_fields = ("user__email",)
    readonly_fields = ("user", "key_hash", "prefix", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False
