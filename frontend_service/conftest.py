# The whole system started as `scripts/dev` starts it (`running_system`), for the view tests
# that want the real APIs and for the browser tests (browser_tests/).
pytest_plugins = ["web.tests.system"]
