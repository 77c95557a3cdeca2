/**
 * The text shown when no Python fits: how to get one on *this* OS and distro, how to bring
 * an offline bundle, and how to use a mirror. Pure: facts in, lines out.
 */
import type { PlatformFacts } from "../platform/types.ts";

export interface GuideInput {
  facts: Pick<PlatformFacts, "os" | "distro" | "packageManagers" | "privileges">;
  /** What was asked for, for messages ("3.11.9", "3.11", ">=3.10"). */
  wanted: string;
  /** The minor to install with a package manager ("3.11"), when the request names one. */
  minor?: string;
  platformKey: string;
  /** A build of the manifest that would fit (its file name is what a mirror must hold). */
  build?: { url: string; build: string; version: string };
  containerEngine?: string;
}

function packageCommands(input: GuideInput): string[] {
  const { facts, minor } = input;
  const v = minor ?? "3";
  const sudo = facts.os !== "windows" && !facts.privileges.root ? "sudo " : "";
  const pms = new Set(facts.packageManagers);
  const id = facts.distro?.id ?? "";
  const like = new Set([id, ...(facts.distro?.like ?? [])]);
  const lines: string[] = [];
  if (pms.has("apt") || pms.has("apt-get") || like.has("debian") || like.has("ubuntu")) {
    lines.push(`${sudo}apt-get update && ${sudo}apt-get install -y python${v} python${v}-venv`);
    if (id === "ubuntu" || like.has("ubuntu")) {
      lines.push(`# not in your release? the deadsnakes PPA has every 3.x:`, `${sudo}add-apt-repository -y ppa:deadsnakes/ppa && ${sudo}apt-get install -y python${v} python${v}-venv`);
    } else {
      lines.push(`# check which versions your release ships: apt-cache policy 'python3.*' | grep -E '^python3\\.[0-9]+:'`);
    }
  }
  if (pms.has("dnf") || pms.has("yum") || like.has("fedora") || like.has("rhel")) lines.push(`${sudo}${pms.has("dnf") ? "dnf" : "yum"} install -y python${v}`);
  if (pms.has("zypper") || like.has("suse")) lines.push(`${sudo}zypper install -y python${v.replace(".", "")}`);
  if (pms.has("apk") || id === "alpine") lines.push(`${sudo}apk add python3 py3-pip   # Alpine ships one 3.x per release; pick the release that has ${v}`);
  if (pms.has("pacman") || like.has("arch")) lines.push(`${sudo}pacman -S --needed python   # Arch ships the newest 3.x; older ones are in the AUR (python${v.replace(".", "")})`);
  if (facts.os === "darwin" || pms.has("brew")) lines.push(`brew install python@${v}`);
  if (facts.os === "windows") {
    lines.push(`winget install --id Python.Python.${v} -e`);
    if (pms.has("scoop")) lines.push(`scoop bucket add versions; scoop install python${v.replace(".", "")}`);
    if (pms.has("choco")) lines.push(`choco install python${v.replace(".", "")}`);
  }
  if (!lines.length) lines.push(`install CPython ${v} with your system's package manager, or from https://www.python.org/downloads/`);
  return lines;
}

export function installGuide(input: GuideInput): string {
  const where = input.facts.distro?.name ?? input.facts.os;
  const out: string[] = [`To get Python ${input.wanted} on this machine (${where}, ${input.platformKey}):`, ""];
  out.push("  1. From the system package manager (then run dhtl again; it finds system interpreters):");
  for (const l of packageCommands(input)) out.push(`       ${l}`);
  out.push("", "  2. From an offline bundle made on a machine with network access:");
  out.push("       dhtl prepare-offline --output bundle.tar.gz      # on the connected machine");
  out.push("       dhtl setup --offline-bundle bundle.tar.gz        # here, after copying the file");
  out.push("", "  3. From a mirror of python-build-standalone releases (an internal web server or a directory):");
  if (input.build) {
    const file = decodeURIComponent(input.build.url.split("/").at(-1) ?? "");
    out.push(`       the mirror must hold ${input.build.build}/${file}`);
  }
  out.push(`       DHT_PYTHON_MIRROR=https://mirror.example.com/python-build-standalone dhtl python install ${input.wanted}`);
  out.push("       (DHT_PYTHON_MIRROR=file:///path/to/dir works too; UV_PYTHON_INSTALL_MIRROR is honoured as well)");
  if (input.containerEngine) {
    out.push("", `  4. In a container (${input.containerEngine} is installed): dhtl python install ${input.wanted} --container`);
  }
  return out.join("\n");
}
