/**
 * Which test command `dhtl test` runs, as a pure decision: the configured `test.command`
 * (through the shell), else the configured `test.runner`, else discovery — pytest when it
 * is installed in the venv, tox/nox when their files exist and they are installed, else the
 * standard library's unittest.
 */
export interface TestRunnerInput {
  command?: string;
  runner?: string;
  /** Executables present in the venv's bin (names without .exe). */
  venvTools: Set<string>;
  /** Files present at the environment root. */
  rootFiles: Set<string>;
  os: "linux" | "darwin" | "windows";
  args: string[];
}

export function chooseTestCommand(input: TestRunnerInput): { argv: string[]; why: string } {
  const { args } = input;
  if (input.command) {
    const shell = input.os === "windows" ? ["cmd", "/d", "/s", "/c"] : ["sh", "-c"];
    const line = args.length ? `${input.command} ${args.map((a) => (input.os === "windows" ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ")}` : input.command;
    return { argv: [...shell, line], why: "test.command in the configuration" };
  }
  const byRunner: Record<string, string[]> = {
    pytest: ["python", "-m", "pytest"],
    unittest: ["python", "-m", "unittest", "discover"],
    nose2: ["python", "-m", "nose2"],
    tox: ["tox"],
    nox: ["nox"],
  };
  const runner = input.runner && input.runner !== "auto" ? input.runner : undefined;
  if (runner && byRunner[runner]) return { argv: [...byRunner[runner]!, ...args], why: `test.runner: ${runner}` };
  if (input.venvTools.has("pytest")) return { argv: ["python", "-m", "pytest", ...args], why: "pytest is installed in the venv" };
  if (input.rootFiles.has("noxfile.py") && input.venvTools.has("nox")) return { argv: ["nox", ...args], why: "noxfile.py and nox in the venv" };
  if (input.rootFiles.has("tox.ini") && input.venvTools.has("tox")) return { argv: ["tox", ...args], why: "tox.ini and tox in the venv" };
  return { argv: ["python", "-m", "unittest", "discover", ...args], why: "no test runner installed: the standard library's unittest" };
}
