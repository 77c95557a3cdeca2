/**
 * Package-manager adapters, as data: the command that says what is installed, how to read
 * its output, and the command that installs. Pure; src/system/effects.ts runs them.
 */
import type { Manager } from "./mapping.ts";

/** The argv that lists which of `packages` are installed (output parsed by parseInstalled). */
export function queryCommand(manager: Manager, packages: string[]): string[] | undefined {
  switch (manager) {
    case "apt":
      return ["dpkg-query", "-W", "-f=${Package}\t${db:Status-Abbrev}\t${Version}\n", ...packages];
    case "dnf":
    case "yum":
    case "microdnf":
    case "zypper":
      return ["rpm", "-q", "--qf", "%{NAME}\t%{VERSION}\n", ...packages];
    case "apk":
      return ["apk", "info", "-e", ...packages];
    case "pacman":
      return ["pacman", "-Q", ...packages];
    case "brew":
      return ["brew", "list", "--versions", ...packages];
    case "port":
      return ["port", "-q", "installed", ...packages];
    case "choco":
      return ["choco", "list", "--limit-output", "--exact", ...packages];
    case "scoop":
      return ["scoop", "list", ...packages];
    case "winget":
      return undefined; // one id per call: see wingetQuery
  }
}

/**
 * Which of `asked` the query output says are installed. Every manager prints differently;
 * the fixtures in test/fixtures/system/ are real outputs.
 */
export function parseInstalled(manager: Manager, asked: string[], stdout: string): Set<string> {
  const lines = stdout.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const found = new Set<string>();
  const want = new Map(asked.map((a) => [a.toLowerCase(), a]));
  const mark = (name: string | undefined) => {
    const hit = name ? want.get(name.toLowerCase()) : undefined;
    if (hit) found.add(hit);
  };
  switch (manager) {
    case "apt":
      // "libpq-dev\tii \t15.8-0+deb12u1": first letter i = wanted install, second i = installed.
      for (const l of lines) {
        const [name, status] = l.split("\t");
        if (status?.trim().startsWith("ii")) mark(name?.split(":")[0]);
      }
      break;
    case "dnf":
    case "yum":
    case "microdnf":
    case "zypper":
      // "libpq-devel\t15.6" for what is installed; "package x is not installed" for the rest.
      for (const l of lines) if (l.includes("\t")) mark(l.split("\t")[0]);
      break;
    case "apk":
      for (const l of lines) mark(l);
      break;
    case "pacman":
    case "brew":
      for (const l of lines) if (!/^error:/i.test(l)) mark(l.split(/\s+/)[0]);
      break;
    case "port":
      // "  python311 @3.11.7_0 (active)"
      for (const l of lines) if (/\(active\)/.test(l)) mark(l.split(/\s+/)[0]);
      break;
    case "choco":
      for (const l of lines) mark(l.split("|")[0]);
      break;
    case "scoop":
      // a table: "Name Version Source Updated Info"
      for (const l of lines) if (!/^(Name|----|Installed apps)/.test(l)) mark(l.split(/\s+/)[0]);
      break;
    case "winget":
      for (const l of lines) for (const a of asked) if (l.toLowerCase().includes(a.toLowerCase())) found.add(a);
      break;
  }
  return found;
}

/** `winget list --id X --exact` per package (winget takes one query). */
export const wingetQuery = (id: string) => ["winget", "list", "--id", id, "--exact", "--accept-source-agreements"];

/** The install argv, non-interactive (what a CI would run), without sudo. */
export function installCommand(manager: Manager, packages: string[]): string[] {
  switch (manager) {
    case "apt":
      return ["apt-get", "install", "-y", "--no-install-recommends", ...packages];
    case "dnf":
    case "yum":
    case "microdnf":
      return [manager, "install", "-y", ...packages];
    case "zypper":
      return ["zypper", "--non-interactive", "install", ...packages];
    case "apk":
      return ["apk", "add", "--no-cache", ...packages];
    case "pacman":
      return ["pacman", "-S", "--needed", "--noconfirm", ...packages];
    case "brew":
      return ["brew", "install", ...packages];
    case "port":
      return ["port", "-N", "install", ...packages];
    case "choco":
      return ["choco", "install", "-y", ...packages];
    case "winget":
      return ["winget", "install", "--exact", "--silent", "--accept-package-agreements", "--accept-source-agreements", ...packages.flatMap((p) => ["--id", p])];
    case "scoop":
      return ["scoop", "install", ...packages];
  }
}

/** Environment the install runs with (apt must never ask). */
export function installEnv(manager: Manager): Record<string, string> {
  return manager === "apt" ? { DEBIAN_FRONTEND: "noninteractive" } : manager === "brew" ? { HOMEBREW_NO_AUTO_UPDATE: "1" } : {};
}

/** What an administrator would type: with sudo on Unix for machine-wide managers. */
export function adminCommand(manager: Manager, packages: string[], opts: { root?: boolean } = {}): string {
  const argv = installCommand(manager, packages);
  const machineWide = !["brew", "scoop", "winget", "choco"].includes(manager);
  return `${machineWide && !opts.root ? "sudo " : ""}${argv.join(" ")}`;
}

/** Output that means "the package lists are missing or stale": refresh, then try once more. */
export function needsRefresh(manager: Manager, output: string): boolean {
  if (manager === "apt") return /Unable to locate package|has no installation candidate|Failed to fetch|404\s+Not Found/i.test(output);
  if (manager === "apk") return /unable to select packages|no such package/i.test(output);
  if (manager === "pacman") return /target not found|failed retrieving file/i.test(output);
  return false;
}

export function refreshCommand(manager: Manager): string[] | undefined {
  switch (manager) {
    case "apt":
      return ["apt-get", "update", "-qq"];
    case "apk":
      return ["apk", "update"];
    case "pacman":
      return ["pacman", "-Sy", "--noconfirm"];
    case "zypper":
      return ["zypper", "--non-interactive", "refresh"];
    default:
      return undefined;
  }
}
