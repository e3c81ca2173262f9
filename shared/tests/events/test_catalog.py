import uuid

import pytest

from ticketing_shared.events.catalog import (
    SUBJECTS,
    PayloadInvalid,
    payload_check,
    subject_get,
    subjects_consumed_by,
)
from ticketing_shared.events.envelope import Event

TICKET = {
    "id": str(uuid.uuid4()),
    "version": 0,
    "title": "concert",
    "price": "20.00",
    "userId": str(uuid.uuid4()),
}


def test_the_catalog_is_the_contracts():
    assert {name: (s.producer, s.consumers) for name, s in SUBJECTS.items()} == {
        "ticket:created": ("tickets", ("orders",)),
        "ticket:updated": ("tickets", ("orders",)),
        "order:created": ("orders", ("tickets", "payments")),
        "order:cancelled": ("orders", ("tickets", "payments")),
        "order:completed": ("orders", ("tickets", "payments")),
        "payment:created": ("payments", ("orders",)),
    }
    assert [s.name for s in subjects_consumed_by("orders")] == [
        "ticket:created",
        "ticket:updated",
        "payment:created",
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"price": 20},
        {"price": "20"},
        {"price": "20.001"},
        {"version": -1},
        {"id": "not-a-uuid"},
        {"title": ""},
    ],
)
def test_a_payload_that_does_not_fit_is_refused(change):
    with pytest.raises(PayloadInvalid) as refused:
        payload_check(subject_get("ticket:created"), {**TICKET, **change}, strict=True)

    assert set(refused.value.errors) == set(change)


@pytest.mark.parametrize(
    "change",
    [
        {"version": "0"},
        {"version": 0.0},
        {"version": 1.5},
        {"version": True},
        {"id": uuid.UUID(TICKET["id"]).int},
        {"userId": 7},
        {"id": uuid.UUID(TICKET["id"])},  # what json cannot even carry: not a string
        {"title": 5},
        {"price": 20.55},
        {"orderId": 0},
    ],
    ids=[
        "version str",
        "version float",
        "version fraction",
        "version bool",
        "id int",
        "userId int",
        "id UUID object",
        "title int",
        "price float",
        "orderId int",
    ],
)
def test_a_value_of_another_json_type_is_refused_not_coerced(change):
    # DRF's own fields took these ("0" and 0.0 as 0, an integer as UUID(int=...)): a consumer's
    # handler then got data of the wrong type, and failed on every retry.
    payload = {**TICKET, "orderId": None, **change}

    with pytest.raises(PayloadInvalid) as refused:
        payload_check(subject_get("ticket:updated"), payload, strict=False)

    assert set(refused.value.errors) == set(change)


def test_values_of_their_json_types_pass_on_both_sides():
    payload = {**TICKET, "version": 3, "orderId": str(uuid.uuid4())}

    payload_check(subject_get("ticket:updated"), payload, strict=True)
    payload_check(subject_get("ticket:updated"), {**payload, "orderId": None}, strict=False)
    payload_check(
        subject_get("payment:created"),
        {
            "id": str(uuid.uuid4()),
            "orderId": str(uuid.uuid4()),
            "stripeId": "ch_1",
            "amount": 2000,
            "currency": "usd",
        },
        strict=True,
    )


@pytest.mark.parametrize("data", [None, [], "ticket", {}])
def test_a_payload_that_is_not_an_object_of_the_shape_is_refused(data):
    with pytest.raises(PayloadInvalid):
        payload_check(subject_get("ticket:created"), data, strict=False)


def test_one_shape_checks_payloads_one_after_another():
    payload_check(subject_get("ticket:created"), TICKET, strict=True)
    with pytest.raises(PayloadInvalid) as refused:
        payload_check(subject_get("ticket:created"), {**TICKET, "price": "x"}, strict=True)
    payload_check(subject_get("ticket:created"), TICKET, strict=True)

    assert set(refused.value.errors) == {"price"}


def test_producers_send_exactly_the_contract_and_consumers_tolerate_additions():
    extended = {**TICKET, "colour": "blue"}

    with pytest.raises(PayloadInvalid, match="colour"):
        payload_check(subject_get("ticket:created"), extended, strict=True)
    payload_check(subject_get("ticket:created"), extended, strict=False)


def test_only_the_producer_of_a_subject_may_publish_it():
    with pytest.raises(PayloadInvalid, match="produced by tickets"):
        Event.new(subject="ticket:created", data=TICKET, producer="orders")


def test_an_envelope_round_trips():
    event = Event.new(subject="ticket:created", data=TICKET, producer="tickets")

    envelope = event.as_envelope()

    assert set(envelope) == {"id", "subject", "occurredAt", "producer", "data"}
    assert envelope["occurredAt"].endswith("Z")
    assert Event.from_envelope(envelope) == event


@pytest.mark.parametrize(
    "envelope",
    [
        None,
        [],
        {"subject": "ticket:created"},
        {"id": "x", "subject": "ticket:created", "occurredAt": "now", "producer": "t", "data": {}},
        {
            "id": str(uuid.uuid4()),
            "subject": "nope",
            "occurredAt": "2026-01-01T00:00:00Z",
            "producer": "t",
            "data": {},
        },
    ],
)
def test_a_malformed_envelope_is_refused_on_receipt(envelope):
    with pytest.raises(PayloadInvalid):
        Event.from_envelope(envelope)
