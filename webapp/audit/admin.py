"""The audit log in the admin site: searchable, filterable, and read-only for everyone."""
from django.contrib import admin
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent

# Characters of an email shown in the list; the whole address is on hover and on the event's page.
EMAIL_SHOWN = 22


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    # What fits at 1280 px beside the menu and the filters: with every field a column, the IP
    # address was cut to "127.0" and an action wrapped to four lines. The IP address goes under
    # the email, "via" is a filter, and every field is on the event's page.
    list_display = ("when", "who", "action", "reading")
    list_filter = ("action", "via", "at")
    search_fields = ("actor_email", "=reading_id", "ip_address")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    @admin.display(description=_("when"), ordering="at")
    def when(self, obj):
        """The day over the time (one line, the zone's name included): on one line they took a
        fifth of the table."""
        moment = timezone.localtime(obj.at)
        return format_html("{}<br>{}", formats.date_format(moment, "SHORT_DATE_FORMAT"),
                           formats.time_format(moment, "TIME_FORMAT").replace(" ", "\u00a0"))

    @admin.display(description=_("who, from where"), ordering="actor_email")
    def who(self, obj):
        """The email (its start; whole on hover) over the IP address (whole: an IPv6 address may
        break after a colon). Side by side, the IP address was cut off the table."""
        email = format_html('<span title="{}">{}</span>', obj.actor_email,
                            Truncator(obj.actor_email).chars(EMAIL_SHOWN)) if obj.actor_email else None
        if not obj.ip_address:
            return email
        ip = format_html_join(mark_safe(":<wbr>"), "{}", ((part,) for part in obj.ip_address.split(":")))
        return format_html('{}<br><span class="quiet">{}</span>', email or self.get_empty_value_display(), ip)

    @admin.display(description=_("reading"), ordering="reading_id")
    def reading(self, obj):
        """The reading's id; under it, for a row that counts several requests (log.record_denied),
        how many and the last id asked for."""
        shown = self.get_empty_value_display() if obj.reading_id is None else obj.reading_id
        if obj.times <= 1:
            return shown
        last = self.get_empty_value_display() if obj.last_reading_id is None else obj.last_reading_id
        return format_html('{}<br><span class="quiet">{}</span>', shown,
                           _("%(times)s×, last %(last)s") % {"times": obj.times, "last": last})

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
