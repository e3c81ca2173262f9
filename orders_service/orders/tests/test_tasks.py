import pytest
from django.conf import settings


@pytest.mark.parametrize("entry", ["orders-expire-due", "events-outbox-sweep"])
def test_a_sweep_no_worker_took_in_its_period_is_dropped(entry):
    # Beat goes on sending while no worker runs; without an expiry, a worker back from an
    # outage would run every sweep queued meanwhile, one after the other.
    scheduled = settings.CELERY_BEAT_SCHEDULE[entry]

    assert scheduled["options"]["expires"] == scheduled["schedule"]
