#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine of this project's kind (Debian, Python >= 3.11,
# Node 20, root for apt), then run it. Extra arguments go to pytest:  bash scripts/test.sh -k theme -x
# Python packages go into .venv (Debian's own pip refuses to install into the system Python), at the exact
# versions of constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"

# Browser tests drive Debian's Chromium (never `playwright install`); the Nu checker needs Java; Debian's
# Python makes virtual environments only with python3-venv.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v java >/dev/null || missing+=(default-jre-headless)
[ -x .venv/bin/python ] || "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
# The judges: vnu-jar (Nu HTML checker) and axe-core, pinned by package-lock.json. --ignore-scripts skips
# vnu-jar's postinstall, which would only download a Java runtime, and Java is already here.
npm ci --ignore-scripts --no-audit --no-fund

# PATH: tests run the tools installed in .venv (site-builder, actionlint) by name.
PATH="$PWD/.venv/bin:$PATH" .venv/bin/python -m pytest "$@"
