#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine of this project's kind (Debian, Python 3.11,
# Node 20, Java 17, root), then run it. Extra arguments go to pytest:  bash scripts/test.sh -k theme -x
set -euo pipefail
cd "$(dirname "$0")/.."

# Browser tests drive Debian's Chromium (never `playwright install`); the Nu checker needs Java.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v java >/dev/null || missing+=(default-jre-headless)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

python -m pip install --quiet --root-user-action=ignore -e '.[test]'
# The judges: vnu-jar (Nu HTML checker) and axe-core, pinned by package-lock.json. --ignore-scripts skips
# vnu-jar's postinstall, which would only download a Java runtime, and Java is already here.
npm ci --ignore-scripts --no-audit --no-fund

python -m pytest "$@"
