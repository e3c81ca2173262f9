# Sourced by scripts/dev, scripts/test and .ci/run (which set -euo pipefail): puts the caller at
# the repository root with the system packages installed, uv available and the workspace's
# virtualenv in sync with uv.lock.

UV_VERSION=0.13.9

cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "bootstrap: system packages (scripts/system-packages)"
scripts/system-packages

if ! command -v uv >/dev/null 2>&1; then
    echo "bootstrap: uv is not on PATH; installing uv==${UV_VERSION} with pip"
    python3 -m pip install --quiet "uv==${UV_VERSION}"
    # pip may have put the binary outside PATH (a user or interpreter scripts directory);
    # the uv package knows where its own binary is.
    uv_bin="$(python3 -c 'import uv; print(uv.find_uv_bin())')"
    echo "bootstrap: using ${uv_bin}"
    PATH="$(dirname "${uv_bin}"):${PATH}"
    export PATH
fi

# --all-packages: the root project depends on no member, so a plain sync would leave the
# services and tools out of the environment (and remove them if they were in it).
echo "bootstrap: uv sync --frozen --all-packages"
uv sync --frozen --all-packages
