"""python manage.py verify_audit: walk the audit hash chain and name the first broken link."""

import sys

from django.core.management.base import BaseCommand

from incidentdesk.audit import audit_check_full


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain."

    def handle(self, *args, **options):
        status = audit_check_full()  # kept: pages check only what is added after it
        if status.ok:
            self.stdout.write(f"audit chain intact: {status.checked} entries")
            return
        self.stdout.write(
            f"audit chain broken at entry {status.broken_seq}: {status.problem} "
            f"({status.checked} entries before it are intact)"
        )
        sys.exit(1)
