"""Finding the system programs the tools run, and saying how to get a missing one."""

import os
import shutil

from ticketing_devtools.errors import SetupError

# Debian puts servers' programs (nginx) here, off a normal user's PATH.
SBIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")
INSTALL_HINT = "scripts/system-packages installs it (or: apt-get install {package})"


def find_program(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN_DIRS))


def require_program(name: str, *, package: str, needed_for: str) -> str:
    found = find_program(name)
    if found is None:
        hint = INSTALL_HINT.format(package=package)
        raise SetupError(f"{name} is not installed ({needed_for}): {hint}")
    return found
