"""WSGI entry point (gunicorn webapp.wsgi).

Imported by every serving process (each gunicorn worker, `manage.py runserver`) and by nothing
else: it starts building the hospital finder's indexes there, in the background, so that the
first search does not wait for them (webapp/hospitals/warmup.py).
"""
import os

from django.core.wsgi import get_wsgi_application

from webapp.hospitals import warmup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
application = get_wsgi_application()
warmup.start()
