#!/usr/bin/env bash
# Installs the servers the integration tests start (each on a free 127.0.0.1 port, in a temp dir
# of its own). Idempotent and quick when everything is present. Not root and something missing:
# prints the command to run and exits 1.
set -euo pipefail

missing=()
command -v /usr/bin/redis-server >/dev/null 2>&1 || missing+=(redis-server)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "test servers missing: ${missing[*]}" >&2
  echo "run as root: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  echo "(or: sudo bash scripts/test-servers.sh)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "installing: ${missing[*]}"
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

# Debian may start a system redis on install (where systemd runs): the tests start their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
  systemctl disable --now redis-server >/dev/null 2>&1 || true
fi

# Debian's postgresql creates and starts a system cluster (where systemd runs): the tests start
# private clusters of their own (test/helpers/postgres.ts), so stop and disable it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet postgresql 2>/dev/null; then
  systemctl disable --now postgresql >/dev/null 2>&1 || true
fi

/usr/bin/redis-server --version
for initdb in /usr/lib/postgresql/*/bin/initdb; do
  [ -x "$initdb" ] && "$initdb" --version
done
