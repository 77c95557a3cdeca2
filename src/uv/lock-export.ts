/**
 * uv.lock → a requirements file with the same pins (`uv export --frozen`), for the two
 * places that must not let uv re-resolve or reach the lock's recorded URLs:
 *  - prepare-offline resolves these pins for each target platform (bundle content);
 *  - setup from a bundle installs them with `uv pip install --no-index --find-links <wheels>`:
 *    `uv sync --frozen` fetches each package from the URL recorded in uv.lock and ignores
 *    find-links, so it cannot install from a bundle (measured with uv 0.13.9: "Network
 *    connectivity is disabled, but the requested data wasn't found in the cache").
 * `uv export --frozen` only reads uv.lock and pyproject.toml: it works with no network.
 */
import { DhtError, ExitCode } from "../errors.ts";
import { redactText } from "../net/redact.ts";

export interface ExportUvLockInput {
  uv: string;
  /** The project (environment) root holding pyproject.toml and uv.lock. */
  root: string;
  extras: string[];
  groups: string[];
  env: Record<string, string | undefined>;
  /** The requirements file to write. */
  outFile: string;
  /** A uv workspace member: export what this package needs (`--package`). */
  package?: string;
  /** Keep the lock's sha256 hashes (pip checks them); off where uv installs from a bundle's wheels. */
  hashes?: boolean;
}

/** The argv (after the uv executable) of the export; pure. */
export function uvExportArgs(input: Omit<ExportUvLockInput, "uv" | "env">): string[] {
  return [
    "export", "--frozen", ...(input.hashes ? [] : ["--no-hashes"]), "--no-emit-project", "--no-header", "--format", "requirements-txt",
    "--project", input.root, ...(input.package ? ["--package", input.package] : []), "-o", input.outFile,
    ...input.extras.flatMap((e) => ["--extra", e]),
    ...input.groups.flatMap((g) => ["--group", g]),
  ];
}

export async function exportUvLock(input: ExportUvLockInput): Promise<string> {
  const proc = Bun.spawn([input.uv, ...uvExportArgs(input)], { cwd: input.root, env: input.env as Record<string, string>, stdout: "ignore", stderr: "pipe", stdin: "ignore" });
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) {
    throw new DhtError(ExitCode.failed, "uv.lock cannot be exported to requirements", {
      subject: `${input.root}/uv.lock`,
      hint: `uv export said:\n${redactText(stderr.trim().split("\n").slice(-8).join("\n"))}\nIf uv.lock is out of date, run \`uv lock\` on a connected machine.`,
    });
  }
  return input.outFile;
}
