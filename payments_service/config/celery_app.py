import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("payments")
app.config_from_object("django.conf:settings", namespace="CELERY")
# `tasks` modules, and `handlers` modules where a service handles other services' events.
app.autodiscover_tasks()
app.autodiscover_tasks(related_name="handlers")
