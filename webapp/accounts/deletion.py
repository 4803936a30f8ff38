"""Deleting an account: one way for both routes, "Delete my account" and the admin site.

What goes with the account: its readings (they cascade; their files go once the deletion is
committed, screening.storage), API keys, multi-file uploads, django-axes' records of its logins
(those of earlier addresses included: they follow an email change), its sessions and its empty
private folder. What stays, without the person in it: the audit log's events of the account and
the admin site's change history about it and its readings keep one random pseudonym instead of
the email (and no outcome of a reading), and no IP address.

What does not stay: the admin site's history of what the account itself did there (Django's
LogEntry rows cascade with their `user`), including its record of accounts it deleted. So an
administrator cannot delete their own account ("Delete my account" refuses staff, see
`may_delete_themselves`; the admin site refuses everyone their own account, and a staff member
who is not a superuser an administrator's, see accounts.admin.UserAdmin): another superuser
deletes the account in the admin site, and that deletion is kept in their history. To keep an
administrator's record, deactivate the account instead of deleting it."""
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Concat

from webapp.audit.log import record_account_event
from webapp.audit.models import Action
from webapp.screening import storage

from . import lockout
from .models import User


def may_delete_themselves(user: User) -> bool:
    """Whether "Delete my account" may delete `user`: not an administrator, whose admin-site
    history would go with the account (module docstring)."""
    return not (user.is_staff or user.is_superuser)


def delete_account(request, user: User, *, by_administrator: bool = False) -> str:
    """Delete `user` and forget them in the logs; returns the pseudonym their events now carry.
    `by_administrator`: the admin site deleted it (the audit event says so; which administrator
    is in the admin site's own history, under the pseudonym)."""
    action = Action.ADMIN_DELETE_ACCOUNT if by_administrator else Action.DELETE_ACCOUNT
    with transaction.atomic():
        pseudonym = record_account_event(request, action, forget=user,
                                         via="admin" if by_administrator else "page").actor_email
        lockout.forget_logins(user)
        # The admin history names an account by its email at the time ("bob@example.org" changed,
        # deleted): the pseudonym replaces it there too, the admin's own deletion entry included.
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(User),
                                object_id=str(user.pk)).update(object_repr=pseudonym)
        # Entries about its readings are named "Reading 3 (covid) of user 6" (Reading.__str__):
        # an outcome tied to an account id. They keep the reading's id and the pseudonym, not the
        # outcome; those of readings deleted earlier too, found by the name alone.
        from webapp.screening.models import Reading

        LogEntry.objects.filter(
            Q(object_id__in=[str(pk) for pk in user.readings.values_list("pk", flat=True)])
            | Q(object_repr__endswith=f" of user {user.pk}"),
            content_type=ContentType.objects.get_for_model(Reading),
        ).update(object_repr=Concat(Value("Reading "), F("object_id"), Value(f" of {pseudonym}"),
                                    # object_id is a text column: PostgreSQL needs the type said.
                                    output_field=CharField()))
        end_sessions(user)
        User.objects.filter(pk=user.pk).delete()
        # Registered after the readings' file removals (on_commit runs them in order), so the
        # account's private folder is empty by then.
        folder = storage.media_root() / str(user.pk)
        transaction.on_commit(lambda: _remove_empty_folder(folder))
    return pseudonym


def end_sessions(user: User) -> int:
    """Delete the stored sessions signed in as `user` (they name the account and its last
    pages); how many. They would stop working without the account, but their rows stayed until
    `clearsessions`. Only database-backed sessions are kept where this can find them: each is
    decoded to read whose it is (the table has no user column), which is fine at this scale."""
    if settings.SESSION_ENGINE not in ("django.contrib.sessions.backends.db",
                                       "django.contrib.sessions.backends.cached_db"):
        return 0
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session

    theirs = [session.pk for session in Session.objects.iterator()
              if session.get_decoded().get(SESSION_KEY) == str(user.pk)]
    return Session.objects.filter(pk__in=theirs).delete()[0]


def _remove_empty_folder(folder) -> None:
    try:
        folder.rmdir()  # only when empty: anything left in it is not this function's to delete
    except OSError:
        pass
