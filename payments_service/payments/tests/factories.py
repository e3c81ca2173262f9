import uuid
from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from payments.models import OrderCopy, Payment


class OrderCopyFactory(factory.django.DjangoModelFactory):
    """An order as orders' events leave it here."""

    class Meta:
        model = OrderCopy

    id = factory.LazyFunction(uuid.uuid4)
    user_id = factory.LazyFunction(uuid.uuid4)
    ticket_id = factory.LazyFunction(uuid.uuid4)
    price = Decimal("20.00")
    status = OrderCopy.Status.CREATED
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=15))
    version = 0


class PaymentFactory(factory.django.DjangoModelFactory):
    """A succeeded payment as a row, with no intent at any processor: for reads, admin pages
    and constraints. Tests of charges and refunds go through `payments.services`."""

    class Meta:
        model = Payment

    order = factory.SubFactory(OrderCopyFactory)
    processor = "test"
    charge_id = factory.Sequence(lambda n: f"pi_test_factory{n}")
    amount = 2000
    currency = "USD"
    status = Payment.Status.SUCCEEDED
    confirmations = 1
    succeeded_at = factory.LazyFunction(timezone.now)
