import logging


class OutagePagesFilter(logging.Filter):
    """Drops django.request's ERROR for a 503 page: the frontend answers 503 only when a
    backend cannot answer, which web/backend.py has logged already, with the backend's name."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) != 503
