#!/usr/bin/env bash
# Everything the test suite needs that is not in the repo, installed idempotently:
#  - Debian packages listed in .ci/apt-packages.txt (only when root and apt-get exist)
#  - PyPI tools listed in .ci/pip-packages.txt, in a venv at .cache/tools-venv
#  - downloaded test assets (real wheels from PyPI), by scripts/fetch-test-assets.ts
# Called by `bun run test` and therefore by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache

if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  pkgs=$(sed -e 's/#.*//' .ci/apt-packages.txt | xargs)
  missing=""
  for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    echo "installing Debian packages:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing >/dev/null
    # Packages such as tinyproxy start a system service we don't want; tests run their own.
    for svc in tinyproxy ssh; do systemctl stop "$svc" >/dev/null 2>&1 || service "$svc" stop >/dev/null 2>&1 || true; done
  fi
fi

want=$(sed -e 's/#.*//' .ci/pip-packages.txt | xargs)
stamp=.cache/tools-venv/.installed
if [ -n "$want" ] && [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "installing PyPI test tools: $want" >&2
  PY=$(command -v python3.11 || command -v python3)
  "$PY" -m venv .cache/tools-venv
  # shellcheck disable=SC2086
  .cache/tools-venv/bin/python -m pip install -q --disable-pip-version-check $want
  echo "$want" > "$stamp"
fi

if [ -f scripts/fetch-test-assets.ts ]; then bun scripts/fetch-test-assets.ts; fi
