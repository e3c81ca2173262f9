import pytest
from django.conf import settings


@pytest.mark.parametrize(
    ("entry", "periods"),
    [
        # Not after one: a worker whose threads are all busy with due expiry tasks takes the
        # sweep late, and must not drop it (the benchmark saw that).
        ("orders-expire-due", 5),
        ("events-outbox-sweep", 1),
    ],
)
def test_a_sweep_no_worker_took_for_a_few_periods_is_dropped(entry, periods):
    # Beat goes on sending while no worker runs; without an expiry, a worker back from an
    # outage would run every sweep queued meanwhile, one after the other.
    scheduled = settings.CELERY_BEAT_SCHEDULE[entry]

    assert scheduled["options"]["expires"] == scheduled["schedule"] * periods
