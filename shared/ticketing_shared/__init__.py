"""What every Ticketing service shares.

Error format, JWT authentication, admin single sign-on, health checks, structured logging,
common settings and the pytest plugin live here once, so that every service looks alike.
"""
