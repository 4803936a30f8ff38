"""The audit log in the admin site: searchable, filterable, and read-only for everyone."""
from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_email", "action", "reading_id", "via", "ip_address")
    list_filter = ("action", "via", "at")
    search_fields = ("actor_email", "=reading_id", "ip_address")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
