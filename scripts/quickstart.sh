#!/usr/bin/env bash
# From a fresh clone to a working environment for the example project, in one command:
# install the pinned Bun (from the npm registry) if needed, build dhtl, run its main job
# (`dhtl setup`) on examples/hello-project, then run its tests the way the project does (`dhtl test`: its tox.ini route).
set -euo pipefail
cd "$(dirname "$0")/.."

want=$(sed -n 's/.*"packageManager": *"bun@\([^"]*\)".*/\1/p' package.json)
if ! command -v bun >/dev/null 2>&1 || [ "$(bun --version)" != "$want" ]; then
  echo "installing Bun $want from the npm registry" >&2
  npm install -g --no-fund --no-audit "bun@$want" >/dev/null
fi

bun install --frozen-lockfile
bun run build

./dist/dhtl setup --cwd examples/hello-project
./dist/dhtl test --cwd examples/hello-project
