import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recraft_studio.settings")
application = get_wsgi_application()

# Before the first request, not during it (see core/warmup.py).
from recraft_studio.core.warmup import warm_up  # noqa: E402

warm_up()
