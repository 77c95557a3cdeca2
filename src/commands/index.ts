/**
 * The command table. Every entry is imported only when that command runs, so start-up
 * cost does not grow with the number of commands.
 */
import type { DhtCommand, Lazy } from "./define.ts";

const load = <T extends { default: DhtCommand<any> }>(p: Promise<T>) => p.then((m) => m.default);

export const commands: Record<string, Lazy<DhtCommand<any>>> = {
  info: () => load(import("./info.ts")),
  python: () => load(import("./python.ts")),
  setup: () => load(import("./setup.ts")),
  run: () => load(import("./run.ts")),
  test: () => load(import("./test.ts")),
  config: () => load(import("./config.ts")),
  init: () => load(import("./init.ts")),
  self: () => load(import("./self.ts")),
  "prepare-offline": () => load(import("./prepare-offline.ts")),
  bundle: () => load(import("./bundle.ts")),
  diagnose: () => load(import("./diagnose.ts")),
  "fix-env": () => load(import("./fix-env.ts")),
  regenerate: () => load(import("./regenerate.ts")),
  deps: () => load(import("./deps.ts")),
  completion: () => load(import("./completion.ts")),
};

/** Short descriptions for the root --help, without importing every command. */
export const commandSummaries: Record<string, string> = {
  info: "Show what dhtl knows about this machine",
  python: "Managed CPython builds: list, install, find, uninstall, pin",
  setup: "Set up the project's Python, .venv and dependencies (idempotent, resumable)",
  run: "Run a command inside the project's environment",
  test: "Run the project's tests inside its environment (pytest when installed)",
  config: "Show or check the project configuration (.dhtconfig)",
  init: "Write a commented .dhtconfig from what the project already declares",
  self: "Update or uninstall dhtl itself",
  "prepare-offline": "Collect Python, uv and every wheel into one verifiable bundle for air-gapped machines",
  bundle: "Inspect and verify offline bundles; make signing keys",
  diagnose: "Find what is broken in the environment, its state, the machine, the network and DHT_HOME",
  "fix-env": "Repair the environment in place (--deep: rebuild beside it, keep hand-installed packages, swap atomically)",
  regenerate: "Rebuild the environment from the configuration, ignoring checkpoints and doubtful cache entries",
  deps: "System packages (platform_deps): plan, install with the system manager or in user space",
  completion: "Print a shell completion script (bash, zsh, fish, powershell)",
};
