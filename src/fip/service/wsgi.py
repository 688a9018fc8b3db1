"""WSGI entry point (``fip.service.wsgi:application``) for gunicorn, mod_wsgi or ``fip serve``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fip.service.settings")
application = get_wsgi_application()
