"""The card processors payments charges through, one chosen by settings (PAYMENTS_PROCESSOR)."""

from functools import cache

from django.conf import settings

from payments.processors.base import Processor


def processor_get(name: str | None = None) -> Processor:
    """The processor the settings choose, or the one `name` says (a payment is refunded by
    the processor that charged it)."""
    return _processor(name or settings.PAYMENTS_PROCESSOR)


@cache
def _processor(name: str) -> Processor:
    if name == "test":
        from payments.processors.builtin import BuiltinTestProcessor

        return BuiltinTestProcessor()
    if name == "stripe":
        from payments.processors.stripe import StripeProcessor

        return StripeProcessor()
    raise LookupError(f"no card processor is called {name!r}")
