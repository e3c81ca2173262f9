pytest_plugins = ["ticketing_shared.testing.fixtures"]
