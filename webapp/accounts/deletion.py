"""Deleting an account: one way for both routes, "Delete my account" and the admin site.

What goes with the account: its readings (they cascade; their files go once the deletion is
committed, screening.storage), API keys, multi-file uploads, and django-axes' records of its
logins. What stays, without the person in it: the audit log's events of the account and the admin
site's change history keep one random pseudonym instead of the email, and no IP address."""
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from webapp.audit.log import record_account_event
from webapp.audit.models import Action

from . import lockout
from .models import User


def delete_account(request, user: User, *, by_administrator: bool = False) -> str:
    """Delete `user` and forget them in the logs; returns the pseudonym their events now carry.
    `by_administrator`: the admin site deleted it (the audit event says so; which administrator
    is in the admin site's own history, under the pseudonym)."""
    action = Action.ADMIN_DELETE_ACCOUNT if by_administrator else Action.DELETE_ACCOUNT
    with transaction.atomic():
        pseudonym = record_account_event(request, action, forget=user).actor_email
        lockout.forget_logins(user)
        # The admin history names an account by its email at the time ("bob@example.org" changed,
        # deleted): the pseudonym replaces it there too, the admin's own deletion entry included.
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(User),
                                object_id=str(user.pk)).update(object_repr=pseudonym)
        User.objects.filter(pk=user.pk).delete()
    return pseudonym
