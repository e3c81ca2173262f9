"""The events services exchange (contract §7): who produces each, who consumes it, its shape.

Payloads are checked against these shapes when an event is recorded and again when it is
received, so a producer cannot send, and a consumer never acts on, something that does not fit.
"""

from dataclasses import dataclass
from functools import cached_property

from rest_framework import serializers

MONEY = r"^\d{1,7}\.\d{2}$"  # prices travel as decimal strings with two places: "20.00"


# The wire's fields take one JSON type each. DRF's own coerce: `"0"`, `0.0` and `true` pass an
# IntegerField, an integer passes a UUIDField (`UUID(int=...)`), a number a CharField. Handlers
# read the data as it came, so such a value would fail them on every retry before it became a
# dead letter; refused here, the event is a dead letter at once (`PayloadInvalid`).


class _OneJSONType:
    json_types: tuple[type, ...]

    def to_internal_value(self, data):
        # bool is an int to Python, but `true` is no JSON integer.
        if isinstance(data, bool) or not isinstance(data, self.json_types):
            self.fail("invalid")
        return super().to_internal_value(data)


class WireInteger(_OneJSONType, serializers.IntegerField):
    json_types = (int,)


class WireUUID(_OneJSONType, serializers.UUIDField):
    json_types = (str,)


class WireString(_OneJSONType, serializers.CharField):
    json_types = (str,)


class WireMoney(_OneJSONType, serializers.RegexField):
    json_types = (str,)

    def __init__(self, **kwargs):
        super().__init__(MONEY, **kwargs)


# Field names are the wire's camelCase, as in contract §7.


class TicketCreatedData(serializers.Serializer):
    id = WireUUID()
    version = WireInteger(min_value=0)
    title = WireString()
    price = WireMoney()
    userId = WireUUID()


class TicketUpdatedData(TicketCreatedData):
    orderId = WireUUID(allow_null=True)


class TicketPriceRef(serializers.Serializer):
    id = WireUUID()
    price = WireMoney()


class TicketRef(serializers.Serializer):
    id = WireUUID()


class OrderCreatedData(serializers.Serializer):
    id = WireUUID()
    version = WireInteger(min_value=0)
    status = WireString()
    userId = WireUUID()
    expiresAt = WireString()
    ticket = TicketPriceRef()


class OrderChangedData(serializers.Serializer):
    id = WireUUID()
    version = WireInteger(min_value=0)
    ticket = TicketRef()


class PaymentCreatedData(serializers.Serializer):
    id = WireUUID()
    orderId = WireUUID()
    stripeId = WireString()
    amount = WireInteger(min_value=0)
    currency = WireString()


@dataclass(frozen=True)
class Subject:
    name: str
    producer: str
    consumers: tuple[str, ...]
    data_shape: type[serializers.Serializer]

    @cached_property
    def shape(self) -> serializers.Serializer:
        """One serializer, built once and used for every check: building one copies all its
        fields, which costs several times what validating a payload does."""
        return self.data_shape()


SUBJECTS: dict[str, Subject] = {
    subject.name: subject
    for subject in (
        Subject("ticket:created", "tickets", ("orders",), TicketCreatedData),
        Subject("ticket:updated", "tickets", ("orders",), TicketUpdatedData),
        Subject("order:created", "orders", ("tickets", "payments"), OrderCreatedData),
        Subject("order:cancelled", "orders", ("tickets", "payments"), OrderChangedData),
        Subject("order:completed", "orders", ("tickets", "payments"), OrderChangedData),
        Subject("payment:created", "payments", ("orders",), PaymentCreatedData),
    )
}


class UnknownSubject(ValueError):
    pass


class PayloadInvalid(ValueError):
    """The data of an event does not fit its subject's shape."""

    def __init__(self, subject: str, errors: dict) -> None:
        super().__init__(f"{subject} payload does not fit: {errors}")
        self.subject = subject
        self.errors = errors


def subject_get(name: str) -> Subject:
    try:
        return SUBJECTS[name]
    except KeyError:
        raise UnknownSubject(f"no such event subject: {name!r}") from None


def subjects_consumed_by(service: str) -> list[Subject]:
    return [subject for subject in SUBJECTS.values() if service in subject.consumers]


def payload_check(subject: Subject, data, *, strict: bool) -> None:
    """Raises `PayloadInvalid` unless `data` fits. `strict` also refuses keys the shape does not
    name: producers must send exactly the contract; consumers tolerate additions."""
    try:
        subject.shape.run_validation(data)
    except serializers.ValidationError as error:
        errors = error.detail if isinstance(error.detail, dict) else {"data": error.detail}
        raise PayloadInvalid(subject.name, errors) from error
    if strict:
        unknown = sorted(set(data) - set(subject.shape.fields))
        if unknown:
            raise PayloadInvalid(subject.name, {key: ["not in the contract"] for key in unknown})
