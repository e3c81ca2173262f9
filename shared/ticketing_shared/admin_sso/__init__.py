"""Single sign-on for every service's Django admin with the ticketing account's token.

No service keeps admin passwords: the access cookie names the user and their staff flag,
and each service resolves it to a user of its own (`TICKETING_ADMIN_USER_RESOLVER`).
"""
