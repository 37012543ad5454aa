#!/usr/bin/env bash
# What the integration suites need before they start (run by `npm test` and by the jest global setup):
# the pinned Python packages of requirements.txt, then the real servers (scripts/infra/up.sh).
set -euo pipefail
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
requirements=$dir/requirements.txt

# pip takes seconds even when nothing is to do: ask importlib.metadata first whether every pinned
# name==version is installed, and run pip only when one is not (or a line is not a plain pin).
requirements_satisfied() {
  python3 - "$requirements" <<'PY'
import re, sys
from importlib.metadata import PackageNotFoundError, version

for line in open(sys.argv[1], encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    pin = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;]+)", line)
    if not pin:
        sys.exit(1)
    try:
        if version(pin.group(1)) != pin.group(3):
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
}

started=$(date +%s%3N)
if requirements_satisfied; then
  echo "scripts/test-env/up.sh: Python requirements already installed" >&2
else
  echo "scripts/test-env/up.sh: pip install -r scripts/test-env/requirements.txt" >&2
  # PIP_BREAK_SYSTEM_PACKAGES: Debian's own python3 refuses pip installs otherwise (PEP 668); CI
  # machines are disposable, and a virtualenv would need every caller to activate it.
  PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install -q --disable-pip-version-check -r "$requirements"
  requirements_satisfied || echo "scripts/test-env/up.sh: warning: pip finished but a pin is still unmet" >&2
fi
bash "$dir/../infra/up.sh"
echo "scripts/test-env/up.sh: ready in $(($(date +%s%3N) - started)) ms" >&2
