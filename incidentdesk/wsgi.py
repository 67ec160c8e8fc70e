import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incidentdesk.settings")
django.setup(set_prefix=False)

from incidentdesk.webhook_handler import DeskApplication  # noqa: E402

application = DeskApplication()
