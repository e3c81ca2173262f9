pytest_plugins = [
    "ticketing_shared.testing.fixtures",
    # Its events go to a broker of the suite's own.
    "ticketing_shared.testing.private_broker",
    # `stripe_server`: a Stripe-compatible server on loopback, for the real SDK.
    "payments.tests.stripe_server",
]
