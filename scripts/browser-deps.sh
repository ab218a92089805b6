#!/usr/bin/env bash
# Installs what the browser suite needs where it is missing: Debian's Chromium (npm packages that
# download a browser of their own cannot work here) and `ip`, used to bring up loopback inside the
# network namespace the browser runs in. Nothing happens when both are present.
set -euo pipefail

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else
    echo "browser-deps: $* needs root; install Debian's chromium and iproute2, or set CHROMIUM_PATH" >&2
    return 1
  fi
}
apt_install() { as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }

updated=false
apt_update() { if [ "$updated" = false ]; then as_root apt-get update -qq; updated=true; fi; }

if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null && ! command -v chromium-headless-shell >/dev/null; then
  apt_update
  apt_install chromium || apt_install chromium-headless-shell
fi
if ! command -v ip >/dev/null; then
  apt_update
  apt_install iproute2
fi
