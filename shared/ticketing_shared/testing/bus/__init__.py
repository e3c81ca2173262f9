"""The event bus with real parts, for the bus tests and the benchmark (`bench/event_bus.py`).

`harness` starts them: a private `redis-server`, a database per stand-in service, Celery worker
and beat processes. The stand-in service (`settings`, `celery_app`, the `copies` app) consumes
events as a real one would, keeping a versioned copy of each aggregate; `TICKETING_SERVICE`
names the service it stands in for. `publish` is a stand-in producer: its events go through its
outbox and relay (`harness.StandinPublisher`).
"""
