pytest_plugins = [
    "ticketing_shared.testing.fixtures",
    # Its events go to a broker of the suite's own; tickets/tests/test_delivery.py meets its
    # workers there.
    "ticketing_shared.testing.private_broker",
]
