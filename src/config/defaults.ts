/**
 * Built-in defaults: the bottom layer of the resolution order. Lists default to empty,
 * which means "detect from the project" for dependency files and lock files.
 */
import type { DhtConfig } from "./schema.ts";

export function defaultConfig(): DhtConfig {
  return {
    version: 1,
    python: { implementation: "cpython", venv: ".venv", allow_patch_fallback: true },
    dependencies: { strategy: "uv", files: [], packages: [], lock_files: [], extras: [], groups: [], prefer_binary: false },
    platform_deps: {},
    languages: {},
    registries: { extra_index_urls: [], trusted_hosts: [], find_links: [], credentials: { source: "env" } },
    proxy: { no_proxy: [] },
    offline: { enabled: false, require_signature: false },
    isolation: { enabled: false },
    environments: {},
    build: {},
    test: { runner: "auto" },
    env: {},
  };
}
