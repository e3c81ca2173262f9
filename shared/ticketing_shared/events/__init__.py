"""The event bus (contract §7): a transactional outbox, one durable Celery queue per consuming
service over Redis, and idempotent consumers that apply each aggregate's events in version order.

A service announces a change with `event_publish_on_commit(...)` inside the transaction that
makes it, and handles another service's events with `@event_handler("subject")`.
"""
