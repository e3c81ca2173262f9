"""The one error the developer tools raise for a missing or broken local prerequisite."""


class SetupError(RuntimeError):
    """Something on this machine is missing or broken; the message says what to do about it.

    The command line prints the message alone, without a traceback, because the fix is on the
    developer's side (install a package, free a port), not in our code.
    """
