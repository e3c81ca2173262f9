from celery import Celery

# The sample service's Celery app: it publishes through it, as a service's web process does.
app = Celery("sample")
app.config_from_object("django.conf:settings", namespace="CELERY")
