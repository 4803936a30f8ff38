"""Admin: administrators see readings' metadata (not the images) and API tokens (not the keys).

A reading's page shows its owner, outcome, probabilities and patient reference: opening it and
deleting readings are audit events of the administrator, as the owner's own looks are. It is
viewed, never edited: the model made every field (its owner edits the reference and note on
the app's own page), and a Save button only wrote "No fields changed." into the history."""
from django.contrib import admin
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from webapp.audit.log import record_by_administrator
from webapp.audit.models import Action

from . import engine_text, outcomes
from .forms import HistoryFilterForm
from .models import ApiToken, Reading

# Characters of an email shown in the list; the whole address is on hover.
EMAIL_SHOWN = 22
# The history page's words for each outcome ("Uncertain", not the empty label's "-").
OUTCOME_WORDS = dict(choice for choice in HistoryFilterForm.OUTCOME_CHOICES if choice[0])


class OutcomeFilter(admin.SimpleListFilter):
    """The outcome as the app shows it: a low-confidence reading is uncertain, whatever its label."""

    title = _("outcome")
    parameter_name = "outcome"

    def lookups(self, request, model_admin):
        return list(OUTCOME_WORDS.items())

    def queryset(self, request, queryset):
        outcome = self.value()
        return queryset.with_outcome(outcome) if outcome in OUTCOME_WORDS else queryset


# The page's fields: every field, the stored JSON lists shown as text (the methods below).
READING_FIELDS = [{"probabilities": "probabilities_shown", "warnings": "warnings_shown"}.get(f.name, f.name)
                  for f in Reading._meta.fields]


@admin.register(Reading)
class ReadingAdmin(admin.ModelAdmin):
    # What fits at 1280 px beside the menu and the filters (the outcome says "Uncertain" for a
    # low-confidence reading); low confidence and source format are filters and on the page.
    list_display = ("id", "owner_email", "uploaded", "outcome", "model_version")
    list_filter = (OutcomeFilter, "low_confidence", "model_version", "source_format")
    list_select_related = ("owner",)
    search_fields = ("owner__email",)
    date_hierarchy = "created_at"
    fields = READING_FIELDS
    readonly_fields = READING_FIELDS

    @admin.display(description=_("owner"), ordering="owner__email")
    def owner_email(self, obj):
        """The address's start, whole on hover."""
        return format_html('<span title="{}">{}</span>', obj.owner.email,
                           Truncator(obj.owner.email).chars(EMAIL_SHOWN))

    @admin.display(description=_("uploaded at"), ordering="created_at")
    def uploaded(self, obj):
        """The day over the time (one line, the zone's name included)."""
        moment = timezone.localtime(obj.created_at)
        return format_html("{}<br>{}", formats.date_format(moment, "SHORT_DATE_FORMAT"),
                           formats.time_format(moment, "TIME_FORMAT").replace(" ", "\u00a0"))

    @admin.display(description=_("outcome"), ordering="label")
    def outcome(self, obj):
        return OUTCOME_WORDS.get(obj.outcome, obj.outcome)

    @admin.display(description=_("Probabilities"))
    def probabilities_shown(self, obj):
        """One class a line, most likely first, as the reading's page writes them."""
        return format_html_join("", "<div>{}: {}</div>", (
            (row["name"], row["percent_text"]) for row in outcomes.probability_rows(obj))
        ) or self.get_empty_value_display()

    @admin.display(description=_("Warnings"))
    def warnings_shown(self, obj):
        return format_html_join("", "<div>{}</div>", (
            (engine_text.notice_text(notice),) for notice in obj.warnings or [])
        ) or self.get_empty_value_display()

    def has_add_permission(self, request):
        # Readings come from the model, never from a form.
        return False

    def has_change_permission(self, request, obj=None):
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
    """An administrator may rename a key, move its expiry or change its rate limit; the rest is
    the key's own or the rate limiter's (the current minute's count)."""

    list_display = ("name", "user", "prefix", "created_at", "expires_at", "last_used_at")
    search_fields = ("user__email", "name", "=prefix")
    readonly_fields = ("user", "key_hash", "prefix", "created_at", "last_used_at", "window_start",
                       "window_count")

    def has_add_permission(self, request):
        return False
