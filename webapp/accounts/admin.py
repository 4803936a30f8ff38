"""Admin pages for accounts: the only place where a role can be changed and a doctor verified.

Registered doctors start pending (User.doctor_verified_at empty). An administrator filters the
list by "Doctor verification: pending", checks each licence number and workplace, and approves
them with the list's action (or withdraws a verification the same way); the list says how many
doctors are waiting, with a link to them. Each approval and withdrawal is an entry of the
account's History (the admin site's LogEntry): who, when, which. A role changed from Doctor
withdraws the verification (UserAdmin.save_model)."""
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import deletion
from .models import Role, User


class UserChangeAdminForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email", "full_name", "role")


class DoctorVerificationFilter(admin.SimpleListFilter):
    title = _("doctor verification")
    parameter_name = "doctor"

    def lookups(self, request, model_admin):
        return [("pending", _("Pending")), ("verified", _("Verified"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.pending_doctors()
        if self.value() == "verified":
            return queryset.verified_doctors()
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ("email",)
    # What an operator scans at 1280 px beside the menu and the filters (a doctor's status and
    # licence to verify); the workplace, dates and the rest are on the account's page, and
    # active or staff accounts are a filter away.
    list_display = ("email", "full_name", "role_and_verification", "licence_number")
    date_hierarchy = "date_joined"
    list_filter = (DoctorVerificationFilter, "role", "is_active", "is_staff", "is_superuser")
    search_fields = ("email", "full_name", "licence_number", "workplace")
    actions = ["approve_doctors", "withdraw_doctor_verification"]
    readonly_fields = ("doctor_verified_at", "doctor_verified_by", "email_verified_at")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name", "role", "time_zone")}),
        (_("Doctor verification"), {"fields": ("licence_number", "workplace", "doctor_verified_at",
                                               "doctor_verified_by")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        # Empty: the person has not opened the link mailed at registration, and cannot sign in.
        (_("Important dates"), {"fields": ("last_login", "date_joined", "email_verified_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "role", "usable_password", "password1", "password2"),
            },
        ),
    )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        # Nothing else tells an operator that a doctor is waiting to be verified. Added to the
        # list as shown (not to a redirect, whose next page would add it again).
        shown = isinstance(response, TemplateResponse) and not response.is_rendered
        if shown and request.GET.get(DoctorVerificationFilter.parameter_name) != "pending":
            waiting = User.objects.pending_doctors().count()
            if waiting:
                self.message_user(request, format_html(
                    '{} <a href="{}?{}=pending">{}</a>',
                    ngettext("%(count)s doctor is waiting for verification.",
                             "%(count)s doctors are waiting for verification.",
                             waiting) % {"count": number_format(waiting, force_grouping=True)},
                    reverse("admin:accounts_user_changelist"), DoctorVerificationFilter.parameter_name,
                    gettext("Show the waiting doctors")), messages.WARNING)
        return response

    def save_model(self, request, obj, form, change):
        # A verification is of a doctor: an account whose role leaves Doctor loses it, or turning
        # it back into a doctor would give it doctor rights again without a new approval.
        if change and "role" in form.changed_data and obj.role != Role.DOCTOR and obj.doctor_verified_at:
            obj.doctor_verified_at = obj.doctor_verified_by = None
            self.log_change(request, obj, gettext("Withdrew the doctor verification."))
            self.message_user(request, gettext(
                "The doctor verification of %(account)s was withdrawn: the role is no longer "
                "Doctor. Back as a doctor, the account is pending until approved again.")
                % {"account": obj.email}, messages.WARNING)
        super().save_model(request, obj, form, change)

    # Deleting here forgets the person as "Delete my account" does (accounts.deletion): without
    # these two, Django would only delete the row and its cascade, leaving the email and IP
    # addresses in the audit log and django-axes' login records.
    def delete_model(self, request, obj):
        deletion.delete_account(request, obj, by_administrator=True)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            deletion.delete_account(request, user, by_administrator=True)

    # Who may delete whom here: an account's admin-site history goes with it (accounts.deletion),
    # so nobody deletes their own account, and only a superuser deletes an administrator's (staff
    # or superuser): a staff member could otherwise erase the record of a superuser.
    @staticmethod
    def _may_delete(actor, user) -> bool:
        if user.pk == actor.pk:
            return False
        return actor.is_superuser or not (user.is_staff or user.is_superuser)

    # Administrator rights (staff, superuser, groups, permissions) are given by a superuser only,
    # and only a superuser changes an administrator's account or password (as only one deletes
    # it): with "change user" alone, a staff member could otherwise make themselves a superuser,
    # or take over one by setting its password.
    RIGHTS = ("is_staff", "is_superuser", "groups", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if request.user.is_superuser else (*fields, *self.RIGHTS)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        administrator = obj is not None and (obj.is_staff or obj.is_superuser) and obj.pk != request.user.pk
        return allowed and (request.user.is_superuser or not administrator)

    def has_delete_permission(self, request, obj=None):
        # Hides the change page's Delete link, and refuses whatever gets past the two below.
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self._may_delete(request.user, obj))

    def delete_view(self, request, object_id, extra_context=None):
        # Say why rather than answer 403, as Django would (has_delete_permission).
        user = self.get_object(request, unquote(object_id))
        if user is not None and not self._may_delete(request.user, user):
            if user.pk == request.user.pk:
                why = gettext("You cannot delete your own account: your history in the admin "
                              "site would be deleted with it. Another superuser can delete it.")
            else:
                why = gettext("Only a superuser can delete an administrator's account: its "
                              "history in the admin site would be deleted with it.")
            self.message_user(request, why, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))
        return super().delete_view(request, object_id, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _function, name, description = actions["delete_selected"]
            actions["delete_selected"] = (UserAdmin.delete_selected_users, name, description)
        return actions

    def delete_selected_users(self, request, queryset):
        """Django's "Delete selected users", refused as a whole when the selection holds an
        account that may not be deleted here: the confirmation page lists exactly what goes, so
        nothing else is deleted than what was ticked and confirmed, and one untick fixes it."""
        refused = [user for user in queryset if not self._may_delete(request.user, user)]
        if any(user.pk == request.user.pk for user in refused):
            self.message_user(request, gettext(
                "Nothing was deleted: you cannot delete your own account, your history in the "
                "admin site would be deleted with it. Untick it and try again."), messages.ERROR)
        others = [user.email for user in refused if user.pk != request.user.pk]
        if others:
            self.message_user(request, gettext(
                "Nothing was deleted: only a superuser can delete an administrator's account. "
                "Untick %(accounts)s and try again.") % {"accounts": ", ".join(others)},
                messages.ERROR)
        if refused:
            return None
        return delete_selected(self, request, queryset)

    @admin.display(description=_("role"), ordering="role")
    def role_and_verification(self, user):
        """"Patient", "Administrator", or a doctor with the state of their verification, and
        whether the account is deactivated: one narrow column (a column of its own for "active"
        no longer fits at 1280 px)."""
        if user.role != Role.DOCTOR:
            # An administrator's role stays Patient, the default (createsuperuser asks for none):
            # "Patient" would hide who may change every account.
            label = _("Administrator") if user.is_staff or user.is_superuser else user.get_role_display()
        else:
            label = _("Doctor: verified") if user.doctor_verified_at else _("Doctor: pending")
        if not user.is_active:
            # A deactivated doctor looked "Doctor: verified" like one who can sign in.
            return _("%(role)s (deactivated)") % {"role": label}
        return label

    # Approving and withdrawing change accounts: not for a staff member who may only view them.
    @admin.action(description=_("Approve the selected doctors (verify their licence)"), permissions=["change"])
    def approve_doctors(self, request, queryset):
        # Count the selection before approving: with the list filtered by "pending", the queryset
        # re-evaluated afterwards no longer holds the doctors just approved (skipped went negative).
        selected = queryset.count()
        pending = list(queryset.pending_doctors())
        # Approving is verifying a licence: an account made in the admin site has none until
        # someone enters it on its page.
        unlicensed = [doctor.email for doctor in pending if not doctor.licence_number.strip()]
        pending = [doctor for doctor in pending if doctor.licence_number.strip()]
        now = timezone.now()
        with transaction.atomic():
            for doctor in pending:
                doctor.doctor_verified_at, doctor.doctor_verified_by = now, request.user
                doctor.save(update_fields=["doctor_verified_at", "doctor_verified_by"])
                # The account's history says who approved it and when, which stays when a
                # withdrawal empties the two fields.
                self.log_change(request, doctor, gettext("Approved the doctor verification."))
        count = len(pending)
        skipped = selected - count - len(unlicensed)
        self.message_user(request, ngettext(
            "%(count)s doctor approved.", "%(count)s doctors approved.",
            count) % {"count": number_format(count, force_grouping=True)}, messages.SUCCESS)
        if skipped:
            self.message_user(request, ngettext(
                "%(count)s selected account was skipped: not a doctor, or verified already.",
                "%(count)s selected accounts were skipped: not doctors, or verified already.",
                skipped) % {"count": number_format(skipped, force_grouping=True)}, messages.WARNING)
        if unlicensed:
            self.message_user(request, ngettext(
                "%(count)s doctor was not approved, having no licence number to verify: "
                "%(accounts)s. Enter it on the account's page first.",
                "%(count)s doctors were not approved, having no licence number to verify: "
                "%(accounts)s. Enter it on each account's page first.",
                len(unlicensed)) % {"count": number_format(len(unlicensed), force_grouping=True),
                                    "accounts": ", ".join(unlicensed)},
                messages.WARNING)

    @admin.action(description=_("Withdraw the verification of the selected doctors"), permissions=["change"])
    def withdraw_doctor_verification(self, request, queryset):
        verified = list(queryset.verified_doctors())
        with transaction.atomic():
            for doctor in verified:
                doctor.doctor_verified_at = doctor.doctor_verified_by = None
                doctor.save(update_fields=["doctor_verified_at", "doctor_verified_by"])
                self.log_change(request, doctor, gettext("Withdrew the doctor verification."))
        count = len(verified)
        self.message_user(request, ngettext(
            "%(count)s doctor is pending again.", "%(count)s doctors are pending again.",
            count) % {"count": number_format(count, force_grouping=True)}, messages.SUCCESS)
