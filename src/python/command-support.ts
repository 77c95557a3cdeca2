/**
 * What the `dhtl python …` commands share: DHT_HOME, the progress mode, turning chain
 * entries into log lines, and the project's configuration when a command needs it.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RunContext } from "../context.ts";
import type { NetSettings } from "../net/types.ts";
import { dhtHome } from "../paths.ts";
import type { ChainEntry } from "./resolve.ts";

export const homeOf = (ctx: RunContext) => dhtHome(ctx.env);

export function progressMode(ctx: RunContext): "auto" | "plain" | "none" {
  if (ctx.json || ctx.quiet) return "none";
  return ctx.stderrIsTTY ? "auto" : "plain";
}

export function chainLine(e: ChainEntry): string {
  const mark = e.outcome === "taken" ? "✔" : e.outcome === "failed" ? "✖" : "·";
  return `${mark} ${e.step.padEnd(14)} ${e.outcome.padEnd(7)} ${e.why}`;
}

export interface ProjectPythonSettings {
  request?: string;
  requestOrigin?: string;
  allowPatchFallback: boolean;
  net?: NetSettings;
  projectRoot: string;
  /** A real project was found (a .dhtconfig, pyproject.toml, .git, ...), not just the working directory. */
  isProject: boolean;
  offline: boolean;
}

const PROJECT_MARKERS = [".dhtconfig", "pyproject.toml", ".git", "setup.py", "setup.cfg", "requirements.txt", ".python-version"];

/** python.* and proxy settings of the project at ctx.cwd (defaults when there is no project). */
export async function projectPythonSettings(ctx: RunContext, flags: { strict?: boolean; offline?: boolean } = {}): Promise<ProjectPythonSettings> {
  const { resolveConfig } = await import("../config/resolve.ts");
  const r = await resolveConfig({ cwd: ctx.cwd, env: ctx.env, flags: { ...(flags.strict ? { strict: true } : {}), ...(flags.offline ? { offline: true } : {}) } });
  const c = r.config as unknown as {
    python?: { version?: string; allow_patch_fallback?: boolean };
    proxy?: { http?: string; https?: string; no_proxy?: string[]; ca_bundle?: string };
    offline?: { enabled?: boolean };
  };
  const proxy = c.proxy;
  const net: NetSettings | undefined = proxy
    ? { proxy: { http: proxy.http, https: proxy.https, no_proxy: proxy.no_proxy }, caBundle: proxy.ca_bundle }
    : undefined;
  return {
    request: c.python?.version,
    requestOrigin: r.origins["python.version"],
    allowPatchFallback: c.python?.allow_patch_fallback !== false,
    net,
    projectRoot: r.projectRoot,
    isProject: PROJECT_MARKERS.some((m) => existsSync(join(r.projectRoot, m))),
    offline: Boolean(c.offline?.enabled),
  };
}
