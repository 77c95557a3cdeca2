/**
 * The Node.js part of `dhtl setup`: resolve the requested Node.js (resolve.ts), put node,
 * npm, npx (and corepack) first on the environment's PATH (wrappers in the venv's bin, so
 * `dhtl run`, `dhtl test` and the activate scripts all get it), then `npm ci` when
 * `languages.node.install` asks for it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DhtError, ExitCode } from "../../errors.ts";
import type { NetSettings } from "../../net/types.ts";
import type { PlatformFacts } from "../../platform/types.ts";
import { outputTail, runTool } from "../../process.ts";
import { writeFileAtomic } from "../../env/checkpoints.ts";
import { sha256Hex } from "../../flows/setup/inputs-hash.ts";
import { layWrapper, removeFile, wrapperScript } from "../../system/tools.ts";
import { detectNodeRequest, type NodeRequestSource } from "./files.ts";
import { resolveNode, type NodeChoice, type NodeResolveOptions } from "./resolve.ts";

export interface NodePartInput {
  env: Record<string, string | undefined>;
  home: string;
  facts: PlatformFacts;
  net?: NetSettings;
  offline: boolean;
  strict: boolean;
  envRoot: string;
  projectRoot: string;
  /** languages.node from the resolved configuration, with its origin. */
  config?: { version?: string; install?: boolean; strict?: boolean };
  configOrigin?: string;
  indexes: () => Promise<NodeResolveOptions["indexes"]>;
  log: (m: string) => void;
  warn: (m: string) => void;
  verbose?: boolean;
  bundle?: NodeResolveOptions["bundle"];
  progress?: "auto" | "plain" | "none";
}

const RECORD = "dht-node.json";
const TOOLS = ["node", "npm", "npx", "corepack"];

export function nodeRequestFor(input: Pick<NodePartInput, "config" | "configOrigin" | "envRoot" | "projectRoot">): NodeRequestSource | undefined {
  const configured = input.config?.version ? { request: input.config.version, origin: input.configOrigin ?? ".dhtconfig languages.node" } : undefined;
  return detectNodeRequest([input.envRoot, input.projectRoot], configured);
}

/** Wrappers for node and its tools into binDir; returns what was laid. */
export function layNode(choice: NodeChoice, binDir: string, os: string): Record<string, string> {
  const laid: Record<string, string> = {};
  if (os === "windows") return laid;
  laid.node = layWrapper(binDir, "node", wrapperScript(choice.node, [], `node of Node.js ${choice.version} (${choice.source})`));
  // npm, npx and corepack are scripts of that node: run by it directly (a wheel keeps
  // copies instead of the links nodejs.org archives have, so bin/npm cannot be exec'd).
  const scripts: Record<string, string> = {
    npm: "lib/node_modules/npm/bin/npm-cli.js",
    npx: "lib/node_modules/npm/bin/npx-cli.js",
    corepack: "lib/node_modules/corepack/dist/corepack.js",
  };
  for (const tool of TOOLS.slice(1)) {
    const script = join(choice.root, scripts[tool]!);
    const sibling = join(choice.root, "bin", tool);
    if (existsSync(script)) laid[tool] = layWrapper(binDir, tool, wrapperScript(choice.node, [], `${tool} of Node.js ${choice.version} (${choice.source})`, [script]));
    else if (existsSync(sibling)) laid[tool] = layWrapper(binDir, tool, wrapperScript(sibling, [], `${tool} of Node.js ${choice.version} (${choice.source})`));
  }
  return laid;
}

export async function nodeSetupPart(input: NodePartInput) {
  const request = nodeRequestFor(input);
  if (!request) {
    if (input.config?.install) {
      throw new DhtError(ExitCode.usage, "languages.node.install is set, but no Node.js version is requested", { subject: input.configOrigin ?? "languages.node", hint: 'add languages: {node: {version: "20", install: true}} or an .nvmrc' });
    }
    return undefined;
  }
  const strict = input.strict || Boolean(input.config?.strict);
  const optsFor = async (preview: boolean, binDir?: string): Promise<NodeResolveOptions> => ({
    request,
    home: input.home,
    env: input.env,
    ...(input.net ? { net: input.net } : {}),
    offline: input.offline,
    strict,
    facts: input.facts,
    indexes: input.offline ? [] : await input.indexes(),
    preview,
    ...(binDir ? { binDir } : {}),
    ...(input.bundle ? { bundle: input.bundle } : {}),
    log: () => {},
    progress: input.progress ?? "auto",
  });
  const install = input.config?.install === true;
  return {
    part: {
      id: "node",
      title: `Providing Node.js ${request.request}`,
      hash: sha256Hex(JSON.stringify([request, strict, install, input.env.DHT_NODE_MIRROR ?? null, input.env.NODEJS_ORG_MIRROR ?? null, input.offline])),
      async run(binDir: string) {
        const choice = await resolveNode(await optsFor(false, binDir));
        if (choice.warning) input.warn(choice.warning);
        const before = readRecord(binDir);
        const laid = layNode(choice, binDir, input.facts.os);
        for (const p of Object.values(before?.laid ?? {})) if (!Object.values(laid).includes(p)) removeFile(p);
        input.log(`Node.js ${choice.version} (${choice.source}): ${choice.node}`);
        let installed: string | undefined;
        if (install) installed = await npmInstall(input.envRoot, binDir, input.env, input.verbose);
        writeFileAtomic(join(binDir, "..", RECORD), `${JSON.stringify({ version: choice.version, source: choice.source, root: choice.root, laid, chain: choice.chain, ...(installed ? { npm: installed } : {}) }, null, 2)}\n`);
        return { version: choice.version, source: choice.source, laid, ...(installed ? { npm: installed } : {}) };
      },
      stillValid(binDir: string) {
        const r = readRecord(binDir);
        return Boolean(r) && Object.values(r!.laid).every((p) => existsSync(p)) && existsSync(join(r!.root, "bin", "node"));
      },
    },
    async preview() {
      try {
        const choice = await resolveNode(await optsFor(true));
        const lines = [`Node.js: ${choice.version} (${choice.source}) for ${request.request} from ${request.origin}${choice.warning ? ` — ${choice.warning}` : ""}`];
        for (const c of choice.chain) lines.push(`  ${c.outcome.padEnd(7)} ${c.step}: ${c.why}`);
        if (install) lines.push(`  then: npm ci in ${input.envRoot}`);
        return { id: "node", text: lines.join("\n"), data: choice };
      } catch (error) {
        const e = error as DhtError;
        return { id: "node", text: `Node.js: ${request.request} from ${request.origin} — problem: ${e.message}`, data: { problem: e.message, ...(e.details ?? {}) } };
      }
    },
  };
}

function readRecord(binDir: string): { version: string; root: string; laid: Record<string, string> } | undefined {
  try {
    return JSON.parse(readFileSync(join(binDir, "..", RECORD), "utf8"));
  } catch {
    return undefined;
  }
}

/** `npm ci` with a lock file (exactly what it pins), else `npm install`; node first on PATH. */
async function npmInstall(envRoot: string, binDir: string, env: Record<string, string | undefined>, verbose?: boolean): Promise<string> {
  const lock = ["package-lock.json", "npm-shrinkwrap.json"].find((f) => existsSync(join(envRoot, f)));
  if (!existsSync(join(envRoot, "package.json"))) {
    throw new DhtError(ExitCode.usage, `languages.node.install is set, but ${envRoot} has no package.json`, { subject: join(envRoot, "package.json"), hint: "remove install: true, or run setup in the directory of the Node.js project" });
  }
  const argv = [join(binDir, "npm"), lock ? "ci" : "install", "--no-audit", "--no-fund"];
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  childEnv.PATH = [binDir, childEnv.PATH ?? ""].join(":");
  const r = await runTool(argv, { env: childEnv, cwd: envRoot, stream: verbose });
  if (r.code !== 0) throw new DhtError(ExitCode.failed, `npm ${lock ? "ci" : "install"} failed (exit ${r.code})`, { subject: join(envRoot, lock ?? "package.json"), hint: outputTail(r, 15) });
  return `npm ${lock ? "ci" : "install"}${lock ? ` (${lock})` : ""}`;
}
