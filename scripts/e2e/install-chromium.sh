#!/usr/bin/env bash
# Debian's Chromium for the browser tests (never a browser build downloaded by a test tool): installed with
# apt-get when /usr/bin/chromium is missing. Idempotent; a few ms once installed.
# Cold: apt-get update ≈20 s, then chromium with its libraries ≈60–100 s on the 2-core machine.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
say() { printf '[install-chromium] %s\n' "$*" >&2; }

installed() { [[ -x $CHROMIUM && -x /usr/lib/chromium/chromium ]]; }
if installed; then
  exit 0
fi
command -v apt-get >/dev/null || { say "error: $CHROMIUM is missing and there is no apt-get to install it"; exit 1; }
lock_dir=${PACS_CACHE_DIR:-$HOME/.cache/pacs}
mkdir -p "$lock_dir"
exec 9>"$lock_dir/apt.lock"
flock 9
installed && exit 0
started=$(date +%s)
say "apt-get install chromium (once per machine)"
# As root (our machines and CI); elsewhere through sudo.
sudo=()
((EUID == 0)) || sudo=(sudo)
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 update -q >&2
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -q chromium >&2
installed || { say "error: apt-get finished but $CHROMIUM is missing"; exit 1; }
say "installed $("$CHROMIUM" --version 2>/dev/null) in $(($(date +%s) - started)) s"
