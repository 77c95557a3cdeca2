import { defineDhtCommand } from "./define.ts";

export default defineDhtCommand({
  meta: { name: "test", description: "Run the project's tests inside its environment (pytest when installed)" },
  examples: ["dhtl test", "dhtl test tests/test_cli.py", "dhtl test -- -x -k parser"],
  passthrough: true,
  args: {
    args: { type: "positional", required: false, description: "Arguments for the test runner" },
  },
  async run({ ctx, passthrough: args }) {
    const [{ resolveConfig }, { usableVenv, venvRunEnv, runInVenv }, { hostOs, venvBinDir }, { chooseTestCommand }, { readdirSync, existsSync }, { join }, { getLogger }] = await Promise.all([
      import("../config/resolve.ts"),
      import("../env/run-in-venv.ts"),
      import("../env/venv.ts"),
      import("../env/test-runner.ts"),
      import("node:fs"),
      import("node:path"),
      import("../ui/logger.ts"),
    ]);
    const resolved = await resolveConfig({ cwd: ctx.cwd, env: ctx.env });
    const envRoot = resolved.environment?.root ?? resolved.projectRoot;
    const os = hostOs();
    const { venv } = usableVenv(envRoot, resolved.config.python?.venv, os);
    const list = (dir: string) => {
      try {
        return new Set(readdirSync(dir).map((f) => f.replace(/\.exe$/i, "")));
      } catch {
        return new Set<string>();
      }
    };
    const choice = chooseTestCommand({
      command: resolved.config.test?.command,
      runner: resolved.config.test?.runner,
      venvTools: list(venvBinDir(venv, os)),
      rootFiles: list(envRoot),
      os,
      args,
    });
    (await getLogger(ctx)).info(`running ${choice.argv.join(" ")} (${choice.why})`);
    const isolate = Boolean(resolved.config.isolation?.enabled) || existsSync(join(venvBinDir(venv, os), "activate.isolated.ps1"));
    const env = venvRunEnv({ venv, os, baseEnv: ctx.env, configEnv: resolved.config.env as Record<string, string>, isolate });
    return runInVenv(choice.argv, env, envRoot, os);
  },
});
