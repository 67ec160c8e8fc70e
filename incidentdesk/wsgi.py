import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incidentdesk.settings")
django.setup(set_prefix=False)

from incidentdesk.policy import current_policy  # noqa: E402
from incidentdesk.webhook_handler import DeskApplication  # noqa: E402

current_policy()  # a policy file the desk cannot use stops it here, with the file, line and key
application = DeskApplication()
