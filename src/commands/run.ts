import { defineDhtCommand } from "./define.ts";
import { globalArgs } from "./define.ts";
import { knownFlags } from "../main.ts";

/**
 * The user's command line exactly as typed after `dhtl run [dhtl flags]`: citty would parse
 * `-x` in `dhtl run pytest -x` as a flag of ours, so the words are taken from argv instead.
 */
export function commandWords(argv: string[], commandName = "run"): string[] {
  const start = argv.indexOf(commandName);
  const rest = argv.slice(start + 1);
  const { valued } = knownFlags(globalArgs);
  for (let i = 0; i < rest.length; i++) {
    const t = rest[i]!;
    if (t === "--") return rest.slice(i + 1);
    if (t.startsWith("-") && t !== "-") {
      const name = t.replace(/^-{1,2}/, "").split("=")[0]!;
      if (valued.has(name) && !t.includes("=")) i++;
      continue;
    }
    return rest.slice(i);
  }
  return [];
}

export default defineDhtCommand({
  meta: { name: "run", description: "Run a command inside the project's environment (venv bin first on PATH)" },
  examples: ["dhtl run pytest -x", "dhtl run python -c 'import sys; print(sys.prefix)'", "dhtl run -- ruff check .", "dhtl --cwd services/api run uvicorn app:app"],
  passthrough: true,
  args: {
    command: { type: "positional", required: false, description: "The command and its arguments" },
  },
  async run({ ctx }) {
    const words = commandWords(process.argv.slice(2));
    const [{ resolveConfig }, { usableVenv, venvRunEnv, runInVenv }, { hostOs }, { existsSync }, { join }] = await Promise.all([
      import("../config/resolve.ts"),
      import("../env/run-in-venv.ts"),
      import("../env/venv.ts"),
      import("node:fs"),
      import("node:path"),
    ]);
    const resolved = await resolveConfig({ cwd: ctx.cwd, env: ctx.env });
    const envRoot = resolved.environment?.root ?? resolved.projectRoot;
    const os = hostOs();
    const { venv, complete } = usableVenv(envRoot, resolved.config.python?.venv, os);
    if (!complete && !ctx.quiet) process.stderr.write(`warning: ${venv} is not marked complete (a setup did not finish); run dhtl setup\n`);
    const isolate = Boolean(resolved.config.isolation?.enabled) || existsSync(join(venv, "bin", "activate.isolated"));
    const env = venvRunEnv({ venv, os, baseEnv: ctx.env, configEnv: resolved.config.env as Record<string, string>, isolate });
    return runInVenv(words, env, ctx.cwd, os);
  },
});
