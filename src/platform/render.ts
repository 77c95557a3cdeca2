/** Human rendering of `dhtl info`: aligned sections, plain text (pipes cleanly). */
import type { FilesystemFacts, PlatformFacts } from "./types.ts";

export interface InfoReport extends PlatformFacts {
  dhtl: { version: string; commit: string; target: string };
  dhtHome: string;
  pythonPlatformKey: string;
  filesystem: FilesystemFacts & { exists: boolean };
}

type Section = [title: string, rows: Array<[label: string, value: string]>];

const yesNo = (b: boolean) => (b ? "yes" : "no");

function libcLine(libc: PlatformFacts["libc"]): string {
  const name = libc.family === "gnu" ? "glibc" : libc.family;
  return libc.version ? `${name} ${libc.version}` : libc.family === "none" ? "none" : `${name} (version unknown)`;
}

function sudoLine(p: PlatformFacts["privileges"]): string {
  if (p.root) return "not needed (root)";
  if (!p.sudoAvailable) return "not installed";
  return p.passwordlessSudo ? "passwordless" : "asks for a password (not used)";
}

export function infoSections(r: InfoReport): Section[] {
  const system: Section[1] = [
    ["os", `${r.os} (kernel ${r.kernel})`],
    ["arch", r.x86_64Level ? `${r.arch} (x86-64-v${r.x86_64Level})` : r.arch],
    ["libc", libcLine(r.libc)],
  ];
  if (r.distro) system.push(["distro", `${r.distro.name} [${r.distro.id}${r.distro.versionId ? ` ${r.distro.versionId}` : ""}]`]);
  system.push(["python builds", r.pythonPlatformKey]);
  system.push(["package managers", r.packageManagers.length ? r.packageManagers.join(", ") : "none found on PATH"]);

  const c = r.container;
  const environment: Section[1] = [
    ["container", c.kind ? `${c.kinds.join(" + ")} (${c.evidence.join("; ")})` : "none detected"],
  ];
  if (c.wsl) environment.push(["WSL", `WSL${c.wsl.version}${c.wsl.distro ? `, distro ${c.wsl.distro}` : ""}${c.wsl.interop ? ", interop on" : ""}`]);
  if (c.cgroupVersion !== null) environment.push(["cgroups", c.cgroupVersion === "hybrid" ? "hybrid (v1 + v2)" : `v${c.cgroupVersion}`]);
  environment.push(["CI", c.ci ? c.ci.name : "no"]);

  const fs = r.filesystem;
  const filesystem: Section[1] = [
    ["path", fs.exists ? fs.path : `${fs.path} (does not exist yet)`],
    ["type", fs.mountPoint ? `${fs.type} mounted on ${fs.mountPoint}${fs.source ? ` from ${fs.source}` : ""}` : fs.type],
    ["kind", fs.kind],
    ["network", yesNo(fs.network)],
  ];

  const sections: Section[] = [
    ["dhtl", [["version", `${r.dhtl.version} (${r.dhtl.commit}, ${r.dhtl.target})`], ["DHT_HOME", r.dhtHome]]],
    ["System", system],
    ["Privileges", [["root", yesNo(r.privileges.root)], ["sudo", sudoLine(r.privileges)]]],
    ["Environment", environment],
    ["File system", filesystem],
  ];
  if (r.windows) {
    const lp = r.windows.longPathsEnabled;
    sections.push(["Windows", [["long paths", lp === undefined ? "unknown" : lp ? "enabled" : "disabled (paths over 260 characters fail)"]]]);
  }
  return sections;
}

export function renderInfo(r: InfoReport): string {
  const sections = infoSections(r);
  // One label width across all sections so the values line up down the whole page.
  const width = Math.max(...sections.flatMap(([, rows]) => rows.map(([label]) => label.length)));
  return sections
    .map(([title, rows]) => [title, ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)].join("\n"))
    .join("\n\n");
}
