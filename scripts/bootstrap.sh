# Sourced by scripts/dev, scripts/test and .ci/run (which set -euo pipefail): puts the caller at
# the repository root with the system packages installed, uv available and the workspace's
# virtualenv in sync with uv.lock.

UV_VERSION=0.13.9

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Without a uv on PATH, uv lives in a virtualenv of its own under .local/tools/ (installed
# below), never in the machine's Python: Debian's refuses pip installs (PEP 668, "externally
# managed"), and often has no pip at all. One installed by an earlier run is used as it is.
bootstrap_tools="${PWD}/.local/tools"
if ! command -v uv >/dev/null 2>&1 && [ -x "${bootstrap_tools}/bin/uv" ]; then
    PATH="${bootstrap_tools}/bin:${PATH}"
    export PATH
fi

# Also python3-venv, which the virtualenv below needs, when uv is still missing.
echo "bootstrap: system packages (scripts/system-packages)"
scripts/system-packages

if ! command -v uv >/dev/null 2>&1; then
    echo "bootstrap: uv is not on PATH; installing uv==${UV_VERSION} into ${bootstrap_tools}/uv"
    python3 -m venv --clear "${bootstrap_tools}/uv"
    "${bootstrap_tools}/uv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "uv==${UV_VERSION}"
    # Only uv goes on PATH: the virtualenv's bin/ would also shadow the caller's python3.
    mkdir -p "${bootstrap_tools}/bin"
    ln -sf ../uv/bin/uv "${bootstrap_tools}/bin/uv"
    PATH="${bootstrap_tools}/bin:${PATH}"
    export PATH
fi

# --all-packages: the root project depends on no member, so a plain sync would leave the
# services and tools out of the environment (and remove them if they were in it).
echo "bootstrap: uv sync --frozen --all-packages"
uv sync --frozen --all-packages
