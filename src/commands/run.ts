import { defineDhtCommand } from "./define.ts";
export default defineDhtCommand({
  meta: { name: "run", description: "Run a command inside the project's environment (venv bin first on PATH)" },
  examples: ["dhtl run pytest -x", "dhtl run python -c 'import sys; print(sys.prefix)'", "dhtl run -- ruff check .", "dhtl --cwd services/api run uvicorn app:app"],
  passthrough: true,
  args: {
    command: { type: "positional", required: false, description: "The command and its arguments" },
  },
  async run({ ctx, passthrough: words }) {
    const [{ resolveConfig }, { usableVenv, venvRunEnv, runInVenv, dhtlToolDirs }, { hostOs, venvBinDir }, { existsSync }, { join }] = await Promise.all([
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
    const isolate = Boolean(resolved.config.isolation?.enabled) || existsSync(join(venvBinDir(venv, os), "activate.isolated.ps1"));
    const { dhtHome } = await import("../paths.ts");
    const env = venvRunEnv({ venv, os, baseEnv: ctx.env, configEnv: resolved.config.env as Record<string, string>, isolate, toolDirs: dhtlToolDirs(ctx.env, dhtHome(ctx.env)) });
    return runInVenv(words, env, ctx.cwd, os);
  },
});
