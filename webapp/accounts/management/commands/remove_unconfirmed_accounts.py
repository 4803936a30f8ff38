"""Remove accounts whose email address was never confirmed, long after their link expired.

Anyone may register any address (views.register), and an account stays unconfirmed until the
link mailed to the address is opened; unconfirmed, it never signed in and holds no reading. Such
rows would otherwise pile up for good, each keeping a stranger's address and name. They go once
they are older than --days (7 by default) and than the link's life (PASSWORD_RESET_TIMEOUT), so
a link that still works always finds its account. Staff accounts are never touched. Their login
records go with them (lockout.forget_logins), as with any deleted account; there is no audit
event, as nothing of the account was ever used. The output gives counts, not addresses: a
timer's log is no place for personal data.

Run it daily with the other housekeeping (docs/deploy.md, step 6).
"""
from __future__ import annotations

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from webapp.accounts import lockout
from webapp.accounts.models import User


class Command(BaseCommand):
    help = "Remove accounts never confirmed, older than --days and than the confirmation link."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7,
                            help="Keep unconfirmed accounts younger than this (at least 1; default 7).")
        parser.add_argument("--dry-run", action="store_true", help="Say what would go; remove nothing.")

    def handle(self, *args, days: int, dry_run: bool, **options):
        if days < 1:
            raise CommandError(f"--days must be a whole number of at least 1, not {days}.")
        grace = max(datetime.timedelta(days=days), datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT))
        cutoff = timezone.now() - grace
        stale = (User.objects.filter(email_verified_at__isnull=True, date_joined__lt=cutoff,
                                     is_staff=False, is_superuser=False)
                 .filter(readings__isnull=True))  # none can have one; never cost one all the same
        if dry_run:
            count = stale.count()
            self.stdout.write(f"Would remove {count} account(s) never confirmed, registered before "
                              f"{cutoff:%Y-%m-%d %H:%M} UTC.")
            return
        removed = 0
        for user in stale.iterator():
            with transaction.atomic():
                lockout.forget_logins(user)
                User.objects.filter(pk=user.pk, email_verified_at__isnull=True).delete()
            removed += 1
        self.stdout.write(f"Removed {removed} account(s) never confirmed, registered before "
                          f"{cutoff:%Y-%m-%d %H:%M} UTC.")
