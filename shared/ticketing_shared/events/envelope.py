"""The envelope every event travels in: `{id, subject, occurredAt, producer, data}`."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from ticketing_shared.events.catalog import PayloadInvalid, payload_check, subject_get


def utc_milliseconds(moment: datetime) -> str:
    """A UTC time as the wire writes times (contract §5, §7): `2026-11-30T10:15:00.000Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Event:
    id: uuid.UUID
    subject: str
    occurred_at: datetime
    producer: str
    data: dict

    @classmethod
    def new(cls, *, subject: str, data: dict, producer: str) -> "Event":
        """A new event from `producer`, refused unless the catalog has it produce `subject`
        and `data` fits the subject's shape exactly."""
        spec = subject_get(subject)
        if spec.producer != producer:
            raise PayloadInvalid(
                subject, {"producer": [f"{subject} is produced by {spec.producer}"]}
            )
        payload_check(spec, data, strict=True)
        now = datetime.now(UTC)
        return cls(
            id=uuid.uuid4(),
            subject=subject,
            # The envelope carries milliseconds; keep no more, so what is sent is what is kept.
            occurred_at=now.replace(microsecond=now.microsecond // 1000 * 1000),
            producer=producer,
            data=data,
        )

    @classmethod
    def from_envelope(cls, envelope: dict) -> "Event":
        """An event as received; raises `PayloadInvalid` if it does not fit."""
        if not isinstance(envelope, dict):
            raise PayloadInvalid("?", {"envelope": ["not an object"]})
        try:
            subject = subject_get(envelope["subject"])
            event = cls(
                id=uuid.UUID(str(envelope["id"])),
                subject=subject.name,
                occurred_at=datetime.fromisoformat(envelope["occurredAt"].replace("Z", "+00:00")),
                producer=str(envelope["producer"]),
                data=envelope["data"],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            subject_name = str(envelope.get("subject", "?"))
            raise PayloadInvalid(subject_name, {"envelope": [str(error)]}) from error
        payload_check(subject, event.data, strict=False)
        return event

    def as_envelope(self) -> dict:
        return {
            "id": str(self.id),
            "subject": self.subject,
            "occurredAt": utc_milliseconds(self.occurred_at),
            "producer": self.producer,
            "data": self.data,
        }
