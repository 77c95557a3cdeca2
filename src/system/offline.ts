/**
 * What `dhtl prepare-offline` carries for platform_deps and languages.node, per target
 * platform, so that `dhtl setup --offline-bundle` can provide them with no network:
 *
 *   platforms/<key>/system/<name>/<wheel>   a tool's wheel from the package index (any target)
 *   platforms/<key>/system/<name>/*.deb     the distribution's packages, fetched without root
 *                                           (the host's platform only: they are this
 *                                           distribution's packages)
 *   platforms/<key>/node/<archive>          the Node.js build the chain chose (the host; the
 *                                           same verified file it was installed from)
 *
 * Every file is a verified download; the bundle lists each with its sha256.
 */
import { copyFile, mkdir } from "node:fs/promises";
import { basename, join } from "node:path";
import type { RunContext } from "../context.ts";
import type { PlatformDepsConfig } from "../config/schema.ts";
import type { BundleNode, BundleSystemPayload } from "../bundle/types.ts";
import type { NetSettings } from "../net/types.ts";
import { isDhtError } from "../errors.ts";
import { requestsFromConfig } from "./index.ts";
import { namesFor, isManager } from "./mapping.ts";
import { targetOf } from "./plan.ts";

export interface BundleEnvironment {
  root: string;
  projectRoot: string;
  platformDeps?: PlatformDepsConfig;
  node?: { version?: string; install?: boolean; strict?: boolean };
  nodeOrigin?: string;
  registries: { indexUrl: string; extraIndexUrls?: string[]; noIndex?: boolean };
  net: NetSettings;
}

export interface CollectInput {
  ctx: RunContext;
  home: string;
  target: { key: string; os: "linux" | "darwin" | "windows"; arch: "x86_64" | "aarch64"; libc: "gnu" | "musl" | "none" };
  hostKey: string;
  staging: string;
  environments: BundleEnvironment[];
  log: (m: string) => void;
}

export async function collectForBundle(input: CollectInput): Promise<{ system?: Record<string, BundleSystemPayload>; node?: BundleNode; warnings: string[] }> {
  const { target, staging, ctx, home } = input;
  const warnings: string[] = [];
  const system: Record<string, BundleSystemPayload> = {};
  const facts = { os: target.os, arch: target.arch, libc: { family: target.libc } };
  const { indexesToTry } = await import("../uv/ensure.ts");
  const { getPlatformFacts } = await import("../platform/index.ts");
  const host = await getPlatformFacts({ env: ctx.env });
  for (const env of input.environments) {
    const indexes = await indexesToTry({ ctx, registries: env.registries }, ctx.env);
    for (const req of requestsFromConfig(env.platformDeps, target.os)) {
      if (system[req.name] || !req.entry?.tools?.length) continue;
      const dir = `platforms/${target.key}/system/${req.name}`;
      const wheel = req.entry.userspace?.wheel;
      let why = "";
      if (wheel) {
        try {
          const file = await downloadToolWheel(wheel.project, indexes, facts, ctx, home, env.net);
          await mkdir(join(staging, dir), { recursive: true });
          await copyFile(file.path, join(staging, dir, file.name));
          system[req.name] = { source: "index", files: [`${dir}/${file.name}`], bin: wheel.bin, ...(wheel.archive ? { archive: wheel.archive } : {}), detail: `${wheel.project} (${file.name})` };
          input.log(`${target.key}: ${req.name} from ${file.name}`);
          continue;
        } catch (error) {
          why = `no ${wheel.project} wheel (${isDhtError(error) ? error.message : (error as Error).message})`;
        }
      }
      // The distribution's own packages: only this machine's distribution can be fetched here.
      const manager = target.key === input.hostKey ? host.packageManagers.filter(isManager).find((m) => ["apt", "dnf", "yum", "microdnf", "apk"].includes(m) && namesFor(req.entry!, m, targetOf(host))) : undefined;
      if (manager) {
        try {
          const { downloadDistroPackages } = await import("./userspace.ts");
          const names = namesFor(req.entry, manager, targetOf(host))!.packages;
          // Fetched as for a clean machine of this distribution: nothing counts as installed.
          const got = await downloadDistroPackages(manager, names, join(staging, dir), { env: ctx.env, log: input.log }, async () => new Set());
          system[req.name] = { source: "distro", manager, files: got.files.map((f) => `${dir}/${f}`), detail: `${got.files.length} ${manager} packages` };
          continue;
        } catch (error) {
          why += `${why ? "; " : ""}${manager}: ${isDhtError(error) ? error.message : (error as Error).message}`;
        }
      }
      warnings.push(`${target.key}: ${req.name} is not in the bundle for user space (${why || "no wheel publishes it and this is not that platform's distribution"}); setup there needs the system package manager`);
    }
  }
  // Node.js: the build the chain chooses here, from the same file it was installed from.
  let node: BundleNode | undefined;
  const withNode = input.environments.find((e) => e.node?.version) ?? input.environments[0];
  if (withNode) {
    const { nodeRequestFor } = await import("../languages/node/setup-part.ts");
    const request = nodeRequestFor({ config: withNode.node, configOrigin: withNode.nodeOrigin, envRoot: withNode.root, projectRoot: withNode.projectRoot });
    if (request && target.key !== input.hostKey) warnings.push(`${target.key}: Node.js ${request.request} is bundled for ${input.hostKey} only; setup there takes it from a mirror, the index or the machine`);
    else if (request) {
      const { resolveNode, ARTIFACT_RECORD } = await import("../languages/node/resolve.ts");
      const choice = await resolveNode({ request, home, env: ctx.env, net: withNode.net, offline: false, strict: Boolean(withNode.node?.strict), facts: host, indexes: await indexesToTry({ ctx, registries: withNode.registries }, ctx.env), log: () => {} });
      const artifact = await Bun.file(join(choice.root, ARTIFACT_RECORD)).json().catch(() => undefined);
      if (!artifact) warnings.push(`${target.key}: Node.js ${choice.version} (${choice.source}) was not installed by dhtl from a verifiable file, so it is not bundled`);
      else {
        const { downloadVerified } = await import("../net/download.ts");
        const file = await downloadVerified({ url: artifact.url, sha256: artifact.sha256, label: artifact.label }, { env: ctx.env, home, offline: false, progress: "none", net: withNode.net });
        const rel = `platforms/${target.key}/node/${basename(artifact.label)}`;
        await mkdir(join(staging, `platforms/${target.key}/node`), { recursive: true });
        await copyFile(file, join(staging, rel));
        node = { version: choice.version, path: rel, format: artifact.format, source: choice.source };
        input.log(`${target.key}: Node.js ${choice.version} (${artifact.label})`);
      }
    }
  }
  return { ...(Object.keys(system).length ? { system } : {}), ...(node ? { node } : {}), warnings };
}

async function downloadToolWheel(project: string, indexes: Array<{ url: string; auth?: { username: string; password: string } }>, facts: { os: "linux" | "darwin" | "windows"; arch: "x86_64" | "aarch64"; libc: { family: "gnu" | "musl" | "none" } }, ctx: RunContext, home: string, net: NetSettings): Promise<{ path: string; name: string }> {
  const [{ listFiles }, { pickWheel, parseWheelName }, { downloadVerified }, { newestPlatformWheel }] = await Promise.all([import("../net/pypi-index.ts"), import("../uv/wheel-tags.ts"), import("../net/download.ts"), import("./userspace.ts")]);
  const problems: string[] = [];
  for (const { url, auth } of indexes) {
    try {
      const files = await listFiles(url, project, { env: ctx.env, net, auth });
      const best = newestPlatformWheel(files, facts, (fs) => pickWheel(fs, facts), parseWheelName);
      if (!best?.sha256) {
        problems.push(`${url}: none for this platform with a sha256`);
        continue;
      }
      const { sameOrigin, withAuth } = await import("../uv/ensure.ts");
      const path = await downloadVerified({ url: auth && sameOrigin(best.url, url) ? withAuth(best.url, auth) : best.url, sha256: best.sha256, label: best.filename }, { env: ctx.env, home, offline: false, progress: "none", net });
      return { path, name: best.filename };
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  throw new Error(problems.join("; ") || "no index");
}
