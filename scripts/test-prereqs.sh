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

# PowerShell syntax checker for install.ps1 (scripts/lint-ps1.ts): dev tooling from npm,
# installed without running package scripts, never a dependency of dhtl itself.
if [ ! -f .cache/ps1-lint/node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm ]; then
  echo "installing the PowerShell parser into .cache/ps1-lint" >&2
  mkdir -p .cache/ps1-lint && echo '{"private":true}' > .cache/ps1-lint/package.json
  (cd .cache/ps1-lint && npm i -q --ignore-scripts --no-audit --no-fund web-tree-sitter@0.25.10 tree-sitter-powershell@0.26.4 >/dev/null) ||
    echo "warning: could not install the PowerShell parser; install.ps1 tests will fail" >&2
fi

# An arm64 glibc sysroot so scripts/check-artifacts.ts can run the linux-arm64 build under
# qemu-aarch64-static (from Debian's arm64 libc6, libgcc-s1 and libstdc++6 packages).
if [ ! -e .cache/sysroot-arm64/lib/ld-linux-aarch64.so.1 ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "making the arm64 sysroot in .cache/sysroot-arm64" >&2
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
    apt-get update -qq
  fi
  debs=$(mktemp -d)
  if (cd "$debs" && apt-get download -qq libc6:arm64 libgcc-s1:arm64 libstdc++6:arm64 2>/dev/null); then
    rm -rf .cache/sysroot-arm64.tmp && mkdir -p .cache/sysroot-arm64.tmp
    for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" .cache/sysroot-arm64.tmp; done
    rm -rf .cache/sysroot-arm64 && mv .cache/sysroot-arm64.tmp .cache/sysroot-arm64
  else
    echo "warning: could not download the arm64 libc packages; the linux-arm64 smoke run will fail" >&2
  fi
  rm -rf "$debs"
fi

if [ -f scripts/fetch-test-assets.ts ]; then bun scripts/fetch-test-assets.ts; fi
