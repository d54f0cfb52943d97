"""WSGI entry point: the application, with what its first requests would load loaded."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dane_admin.settings")
application = get_wsgi_application()

from dane_admin.warm_up import warm_up  # noqa: E402 - needs the settings configured above

warm_up()
