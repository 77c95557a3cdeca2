/**
 * `dhtl completion bash|zsh|fish|powershell`: the scripts load in real shells and complete
 * commands, sub-commands, flags and enumerated values through `dhtl completion complete`.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dhtl, dhtlBinary } from "../helpers/cli.ts";

const bin = mkdtempSync(join(tmpdir(), "dhtl-completion-"));
symlinkSync(dhtlBinary, join(bin, "dhtl"));
const PATH = `${bin}:${process.env.PATH}`;
const sh = (cmd: string[]) => {
  const r = Bun.spawnSync(cmd, { env: { PATH, HOME: bin, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
};

describe("dhtl completion", () => {
  test("the protocol answers commands, sub-commands, flags and flag values", async () => {
    expect((await dhtl(["completion", "complete", "--", "pyth"])).stdout).toContain("python\tManaged CPython builds");
    expect((await dhtl(["completion", "complete", "--", "python", "in"])).stdout).toContain("install\t");
    expect((await dhtl(["completion", "complete", "--", "setup", "--str"])).stdout).toContain("--strategy\t");
    expect((await dhtl(["completion", "complete", "--", "setup", "--strategy", ""])).stdout.split("\n").filter((l) => /^\w/.test(l)).map((l) => l.split("\t")[0])).toEqual(["uv", "requirements", "pip"]);
  });

  test("an unknown shell is exit 2 with the valid ones listed", async () => {
    const r = await dhtl(["completion", "banana"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("valid values: bash, zsh, fish, powershell");
  });

  test("fish: the script completes `dhtl python in` to install", () => {
    if (!Bun.which("fish")) return console.log("skipped: fish is not installed");
    const r = sh(["fish", "-c", 'dhtl completion fish | source; complete -C "dhtl python in"']);
    expect(r.out).toContain("install");
  });

  test("bash (with bash-completion): the script completes `dhtl python in` to install", () => {
    const lib = "/usr/share/bash-completion/bash_completion";
    if (!existsSync(lib)) return console.log("skipped: bash-completion is not installed (.ci/apt-packages.txt installs it)");
    const r = sh(["bash", "-c", `source ${lib}; source <(dhtl completion bash); COMP_WORDS=(dhtl python in); COMP_CWORD=2; COMP_LINE="dhtl python in"; COMP_POINT=\${#COMP_LINE}; __dhtl_complete; printf "%s\\n" "\${COMPREPLY[@]}"`]);
    expect(r.out).toContain("install");
  });

  test("zsh loads its script without error; powershell's registers an argument completer", async () => {
    if (Bun.which("zsh")) {
      const r = sh(["zsh", "-c", "autoload -U compinit; compinit -u; source <(dhtl completion zsh) && print loaded"]);
      expect(r.out).toContain("loaded");
      expect(r.err).toBe("");
    } else console.log("skipped zsh: not installed");
    const ps = await dhtl(["completion", "powershell"]);
    expect(ps.code).toBe(0);
    expect(ps.stdout).toContain("Register-ArgumentCompleter");
    expect(ps.stdout).toContain("dhtl completion complete");
  });
});
