#!/usr/bin/env bash
# Installs Synapse (the Matrix homeserver the Matrix adapter tests start) from PyPI into a
# virtualenv at .cache/synapse in the repo. Idempotent: a no-op taking milliseconds when the
# pinned version is already there. Debian's python3-venv is installed with apt-get if missing
# (as root; otherwise the command to run is printed and the script exits 1).
set -euo pipefail

# Pinned so that every machine tests against the same homeserver; bump deliberately.
SYNAPSE_VERSION=1.163.2

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.cache/synapse"
# Written last, so that an interrupted install is redone rather than trusted.
stamp="$venv/.installed-matrix-synapse-$SYNAPSE_VERSION"
started=$(date +%s%N)
elapsed() { echo "$(( ($(date +%s%N) - started) / 1000000 )) ms"; }

if [ -f "$stamp" ] && [ -x "$venv/bin/python" ]; then
  echo "synapse $SYNAPSE_VERSION already installed in $venv ($(elapsed))"
  exit 0
fi

# Debian's own interpreter, not whatever `python3` is first on PATH (pyenv shims, say): it is
# the one apt-get can complete with the venv module on a fresh machine.
python=/usr/bin/python3
if ! [ -x "$python" ] || ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  packages=(python3 python3-venv)
  if [ "$(id -u)" -ne 0 ]; then
    echo "synapse needs: ${packages[*]}" >&2
    echo "run as root: apt-get update && apt-get install -y --no-install-recommends ${packages[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "installing: ${packages[*]}"
  if ! apt-get install -y --no-install-recommends "${packages[@]}"; then
    apt-get update
    apt-get install -y --no-install-recommends "${packages[@]}"
  fi
  echo "apt-get done ($(elapsed))"
fi

# A venv left by an older pin or a broken install is rebuilt from scratch: cheaper to reason
# about than upgrading in place.
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  "matrix-synapse==$SYNAPSE_VERSION"

# Proves the install imports (a wheel missing for this platform fails here, not in a test).
# The version comes from the package metadata: `synapse.__version__` appends `git describe`
# of the enclosing repo (ours, since the venv lives inside it).
installed=$("$venv/bin/python" -c 'import synapse.app.homeserver, importlib.metadata as m; print(m.version("matrix-synapse"))')
if [ "$installed" != "$SYNAPSE_VERSION" ]; then
  echo "installed synapse is $installed, expected $SYNAPSE_VERSION" >&2
  exit 1
fi
touch "$stamp"
echo "synapse $installed installed in $venv ($(elapsed))"
