/**
 * Build toolchains when a build needs them: after a dependency failed to build from source
 * because CMake (or Ninja), Rust or a C compiler was missing, provide them in user space —
 * CMake and Ninja as wheels from the package index, Rust (cargo, rustc) by rustup from
 * RUSTUP_DIST_SERVER (rustup.ts), else from the distribution's packages unpacked without
 * root, a C/C++ compiler as Zig's clang from the
 * ziglang wheel (`zig cc` laid as cc, gcc, c++, g++) — into DHT_HOME/tools/build/<platform>/bin, so that setup can put
 * that directory on the build's PATH and try once more. The cause is read from the
 * installer's output by the build-failure advice (src/packages/binary-alternatives.ts),
 * which reads the real cause first: a broken manifest never triggers a toolchain.
 */
import { join } from "node:path";
import { isDhtError } from "../errors.ts";
import { buildFailureAdvice } from "../packages/binary-alternatives.ts";
import { installSystem, type SystemContext } from "./install.ts";
import { requestsFromConfig } from "./index.ts";

export const buildToolsDir = (home: string, platformKey: string) => join(home, "tools", "build", platformKey, "bin");

/** Which logical packages a failed build needs, from its output (pure). */
export function toolchainFor(log: string): string[] | undefined {
  const advice = buildFailureAdvice(log);
  if (!advice) return undefined;
  if (advice.cause === "missing-cmake") return ["cmake", "ninja"];
  if (advice.cause === "missing-rust") return ["rust"];
  if (advice.cause === "missing-compiler") return ["c-compiler"];
  return undefined;
}

/**
 * Provide the toolchain a failed build lacked; undefined when the cause is not one of those,
 * or it cannot be had (the build's own error is then what the user sees, with its advice).
 */
export async function provideBuildToolchain(log: string, sc: Omit<SystemContext, "binDir" | "flags"> & { offline: boolean }): Promise<{ binDir: string; why: string } | undefined> {
  const names = toolchainFor(log);
  if (!names || sc.offline) return undefined;
  const binDir = buildToolsDir(sc.home, sc.platformKey);
  try {
    const result = await installSystem(requestsFromConfig({ packages: names }, sc.facts.os), { ...sc, binDir, flags: { noSystem: true } });
    const got = result.provided.filter((p) => p.route === "userspace");
    if (!got.length) return undefined;
    return { binDir, why: `the build needs ${names.join(" and ")}: provided in user space (${got.map((p) => `${p.name}: ${p.version ?? p.detail}`).join("; ")}) in ${binDir}, building again with it on PATH` };
  } catch (error) {
    // What was tried and the administrator's command matter here: this warning is all the
    // user sees of it before the build's own error.
    const hint = isDhtError(error) && error.hint ? `\n${error.hint}` : "";
    sc.warn(`the build needs ${names.join(" and ")}, which cannot be provided here: ${(error as Error).message}${hint}`);
    return undefined;
  }
}
