"""The benchmark's baseline: a minimal Django project answering one JSON view.

Served by gunicorn with the services' own settings (`ticketing_shared.gunicorn_conf`) by
`bench/http_reads.py`, in three forms: `baseline.settings` (bare Django: no middleware, no apps,
no database; the targets' baseline), `baseline.settings_shared` (the tickets service's settings,
shared middleware and request log included, with this project's routes) and
`baseline.settings_db` (bare Django with the tickets database, for the floor of a view that
reads one row).
"""
