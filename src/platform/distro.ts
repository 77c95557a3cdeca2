/**
 * Which distribution this is. os-release (freedesktop) first — /etc/os-release, then
 * /usr/lib/os-release — and the older per-distro files for systems without it. On macOS
 * the SystemVersion.plist; on Windows the kernel build.
 */
import type { DistroFacts, OsName } from "./types.ts";
import { readTextIfPresent, underRoot } from "./probe.ts";

/** Parse os-release's shell-like KEY=value lines (quotes and backslash escapes per the spec). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) continue;
    let value = line.slice(eq + 1).trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\([\\"$`])/g, "$1");
    }
    out[key] = value;
  }
  return out;
}

export function distroFromOsRelease(fields: Record<string, string>, source: string): DistroFacts | undefined {
  const id = fields.ID?.toLowerCase();
  if (!id) return undefined;
  const facts: DistroFacts = {
    id,
    versionId: fields.VERSION_ID ?? "",
    name: fields.PRETTY_NAME || fields.NAME || id,
    like: (fields.ID_LIKE ?? "").toLowerCase().split(/\s+/).filter(Boolean),
    source,
  };
  const codename = fields.VERSION_CODENAME || fields.UBUNTU_CODENAME;
  if (codename) facts.codename = codename;
  return facts;
}

/** "Red Hat Enterprise Linux release 8.9 (Ootpa)", "CentOS Linux release 7.9.2009 (Core)", "Fedora release 39 (Thirty Nine)". */
export function distroFromRedhatRelease(text: string, source: string): DistroFacts | undefined {
  const line = text.split(/\r?\n/)[0]?.trim() ?? "";
  const m = /^(.*?)\s+release\s+([0-9][0-9.]*)/i.exec(line);
  if (!m) return undefined;
  const product = m[1]!.toLowerCase();
  const id = product.includes("red hat")
    ? "rhel"
    : product.includes("centos")
      ? "centos"
      : product.includes("fedora")
        ? "fedora"
        : product.includes("rocky")
          ? "rocky"
          : product.includes("alma")
            ? "almalinux"
            : product.includes("oracle")
              ? "ol"
              : product.split(/\s+/)[0]!;
  // os-release VERSION_ID for RHEL-likes is "major.minor" ("8.9"); CentOS 7's file has "7.9.2009".
  const version = id === "fedora" ? m[2]!.split(".")[0]! : m[2]!.split(".").slice(0, 2).join(".");
  return { id, versionId: version, name: line, like: id === "fedora" ? [] : ["rhel", "fedora"], source };
}

/** Debian's /etc/debian_version holds "12.5", "11.9" — or "bookworm/sid" on testing. */
export function distroFromDebianVersion(text: string, source: string): DistroFacts | undefined {
  const v = text.trim();
  if (!v) return undefined;
  const numeric = /^(\d+)(?:\.\d+)*/.exec(v);
  return {
    id: "debian",
    versionId: numeric ? numeric[1]! : "",
    name: `Debian GNU/Linux ${v}`,
    like: [],
    ...(numeric ? {} : { codename: v.split("/")[0] }),
    source,
  };
}

export function distroFromAlpineRelease(text: string, source: string): DistroFacts | undefined {
  const v = text.trim();
  if (!/^\d/.test(v)) return undefined;
  return { id: "alpine", versionId: v.split(".").slice(0, 2).join("."), name: `Alpine Linux v${v}`, like: [], source };
}

/** /etc/lsb-release: DISTRIB_ID=Ubuntu, DISTRIB_RELEASE=22.04, DISTRIB_CODENAME, DISTRIB_DESCRIPTION. */
export function distroFromLsbRelease(text: string, source: string): DistroFacts | undefined {
  const f = parseOsRelease(text);
  if (!f.DISTRIB_ID) return undefined;
  return {
    id: f.DISTRIB_ID.toLowerCase(),
    versionId: f.DISTRIB_RELEASE ?? "",
    name: f.DISTRIB_DESCRIPTION || f.DISTRIB_ID,
    like: [],
    ...(f.DISTRIB_CODENAME ? { codename: f.DISTRIB_CODENAME } : {}),
    source,
  };
}

/** macOS: ProductVersion out of SystemVersion.plist (an XML plist: key, then string). */
export function distroFromMacPlist(text: string, source: string): DistroFacts | undefined {
  const get = (key: string) => new RegExp(`<key>${key}</key>\\s*<string>([^<]*)</string>`).exec(text)?.[1];
  const version = get("ProductVersion");
  if (!version) return undefined;
  return { id: "macos", versionId: version, name: `${get("ProductName") ?? "macOS"} ${version}`, like: [], source };
}

/** Windows 10 and 11 both say "10.0.x"; build 22000 and later is Windows 11. */
export function distroFromWindowsKernel(kernel: string): DistroFacts {
  const build = Number(kernel.split(".")[2] ?? 0);
  const major = kernel.startsWith("10.") ? (build >= 22000 ? "11" : "10") : kernel;
  return { id: "windows", versionId: major, name: `Windows ${major} (build ${build || kernel})`, like: [], source: "os.release()" };
}

type Parser = (text: string, source: string) => DistroFacts | undefined;

const LINUX_SOURCES: Array<[string, Parser]> = [
  ["/etc/os-release", (t, s) => distroFromOsRelease(parseOsRelease(t), s)],
  ["/usr/lib/os-release", (t, s) => distroFromOsRelease(parseOsRelease(t), s)],
  // Before os-release existed, each family had its own file. lsb-release comes after the
  // specific ones: on Debian derivatives it may describe the derivative only vaguely.
  ["/etc/redhat-release", distroFromRedhatRelease],
  ["/etc/alpine-release", distroFromAlpineRelease],
  ["/etc/lsb-release", distroFromLsbRelease],
  ["/etc/debian_version", distroFromDebianVersion],
];

export async function detectDistro(root: string, os: OsName, kernel: string): Promise<DistroFacts | undefined> {
  if (os === "windows") return distroFromWindowsKernel(kernel);
  if (os === "darwin") {
    const path = "/System/Library/CoreServices/SystemVersion.plist";
    const text = await readTextIfPresent(underRoot(root, path));
    return text ? distroFromMacPlist(text, path) : undefined;
  }
  // In order, stopping at the first that parses: almost every system has /etc/os-release.
  for (const [path, parse] of LINUX_SOURCES) {
    const text = await readTextIfPresent(underRoot(root, path));
    const facts = text === undefined ? undefined : parse(text, path);
    if (facts) return facts;
  }
  return undefined;
}
