/**
 * Are we in a container, WSL, a devcontainer, Codespaces, Kubernetes, CI? These change
 * advice (no systemd, no sudo, a read-only image, a bind-mounted project), never whether
 * dhtl works: detection reports, it does not refuse.
 *
 * The clues are gathered from files and env in one place (gatherContainerClues) and
 * judged by a pure function (classifyContainer) so every combination is unit-testable.
 */
import { join } from "node:path";
import { existsPath, readTextIfPresent, underRoot, type ResolvedProbe } from "./probe.ts";
import type { ContainerFacts, ContainerKind } from "./types.ts";

export interface ContainerClues {
  env: Record<string, string | undefined>;
  dockerenv: boolean;
  /** Contents of /run/.containerenv (podman writes engine="podman-x.y"), undefined when absent. */
  containerenv?: string;
  devcontainerDir: boolean;
  kubernetesSecrets: boolean;
  selfCgroup?: string;
  initCgroup?: string;
  procVersion?: string;
  kernelOsrelease?: string;
  /** /proc/self/mountinfo: the root file system's overlay layers name the engine. */
  mountinfo?: string;
}

/** Order of specificity: the first detected becomes `kind`. */
const SPECIFICITY: ContainerKind[] = ["codespaces", "devcontainer", "kubernetes", "podman", "docker", "lxc", "wsl2", "wsl1"];

/** CI services by the variable they set; CI=true alone is reported as "generic". */
const CI_VARIABLES: Array<[string, string]> = [
  ["GITHUB_ACTIONS", "github-actions"],
  ["GITLAB_CI", "gitlab-ci"],
  ["BUILDKITE", "buildkite"],
  ["CIRCLECI", "circleci"],
  ["TRAVIS", "travis"],
  ["TF_BUILD", "azure-pipelines"],
  ["JENKINS_URL", "jenkins"],
  ["TEAMCITY_VERSION", "teamcity"],
  ["BITBUCKET_BUILD_NUMBER", "bitbucket-pipelines"],
  ["APPVEYOR", "appveyor"],
  ["DRONE", "drone"],
  ["CODEBUILD_BUILD_ID", "aws-codebuild"],
  ["WOODPECKER", "woodpecker"],
  ["SEMAPHORE", "semaphore"],
];

const isSet = (v: string | undefined) => v !== undefined && v !== "" && v.toLowerCase() !== "false" && v !== "0";

export function detectCi(env: Record<string, string | undefined>): { name: string } | null {
  for (const [variable, name] of CI_VARIABLES) if (isSet(env[variable])) return { name };
  return isSet(env.CI) || isSet(env.CONTINUOUS_INTEGRATION) ? { name: "generic" } : null;
}

/**
 * cgroup layout from a /proc/<pid>/cgroup file: v2 has the single "0::<path>" line, v1
 * one line per controller hierarchy, hybrid both.
 */
export function cgroupVersionOf(text: string | undefined): 1 | 2 | "hybrid" | null {
  if (text === undefined) return null;
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length === 0) return null;
  const unified = lines.some((l) => l.startsWith("0::"));
  const legacy = lines.some((l) => !l.startsWith("0::"));
  if (unified && legacy) return "hybrid";
  return unified ? 2 : 1;
}

/** Container engines named in cgroup paths (v1, and v2 on hosts that don't namespace cgroups). */
export function containerKindsFromCgroup(text: string | undefined): ContainerKind[] {
  if (!text) return [];
  const kinds: ContainerKind[] = [];
  if (/\/kubepods|kubepods\.slice/.test(text)) kinds.push("kubernetes");
  if (/libpod[-/]/.test(text)) kinds.push("podman");
  if (/\/docker[/-]|docker-[0-9a-f]{12,}\.scope|\/actions_job\//.test(text)) kinds.push("docker");
  if (/\/lxc[./]|\/lxc\.payload/.test(text)) kinds.push("lxc");
  return kinds;
}

/**
 * Engines named by the mount table: a root overlay whose layers live in
 * /var/lib/docker (docker) or containers/storage (podman, buildah, CRI-O), and lxcfs
 * mounted over /proc files (LXC/Incus). Catches containers whose cgroup paths are
 * namespaced away ("0::/") and that lack the marker files.
 */
export function containerKindsFromMountinfo(text: string | undefined): ContainerKind[] {
  if (!text) return [];
  const kinds: ContainerKind[] = [];
  const lines = text.split("\n");
  const root = lines.filter((l) => l.split(" ")[4] === "/").at(-1) ?? "";
  if (/ - overlay overlay .*\/var\/lib\/docker\//.test(root)) kinds.push("docker");
  if (/ - overlay overlay .*\/containers\/storage\//.test(root)) kinds.push("podman");
  if (lines.some((l) => / \/proc\/(cpuinfo|meminfo|uptime) .* - fuse\.lxcfs /.test(l))) kinds.push("lxc");
  return kinds;
}

/** WSL1 kernels say "4.4.0-19041-Microsoft"; WSL2 "5.15.x-microsoft-standard-WSL2". */
export function wslVersionFromKernel(text: string | undefined): 1 | 2 | undefined {
  if (!text) return undefined;
  if (/WSL2|microsoft-standard/i.test(text)) return 2;
  if (/Microsoft/.test(text)) return 1;
  // Custom WSL2 kernels keep a lowercase "microsoft" tag.
  if (/microsoft/i.test(text)) return 2;
  return undefined;
}

export function classifyContainer(clues: ContainerClues): ContainerFacts {
  const env = clues.env;
  const found = new Set<ContainerKind>();
  const evidence: string[] = [];
  const add = (kind: ContainerKind, why: string) => {
    found.add(kind);
    evidence.push(why);
  };

  if (isSet(env.CODESPACES)) add("codespaces", `env CODESPACES=${env.CODESPACES}`);
  for (const v of ["REMOTE_CONTAINERS", "DEVCONTAINER"]) if (isSet(env[v])) add("devcontainer", `env ${v}=${env[v]}`);
  if (clues.devcontainerDir) add("devcontainer", "/.devcontainer exists");
  if (env.KUBERNETES_SERVICE_HOST) add("kubernetes", "env KUBERNETES_SERVICE_HOST is set");
  if (clues.kubernetesSecrets) add("kubernetes", "/var/run/secrets/kubernetes.io exists");
  if (clues.containerenv !== undefined) {
    // CRI-O writes the same file; the engine line tells them apart when present.
    const engine = /^engine="([^"]*)"/m.exec(clues.containerenv)?.[1];
    add("podman", `/run/.containerenv exists${engine ? ` (engine ${engine})` : ""}`);
  }
  if (clues.dockerenv) add("docker", "/.dockerenv exists");
  const containerVar = env.container?.toLowerCase();
  if (containerVar === "podman" || containerVar === "docker" || containerVar === "lxc") add(containerVar, `env container=${env.container}`);
  for (const [file, text] of [["/proc/self/cgroup", clues.selfCgroup], ["/proc/1/cgroup", clues.initCgroup]] as const) {
    for (const kind of containerKindsFromCgroup(text)) add(kind, `${file} names ${kind}`);
  }
  for (const kind of containerKindsFromMountinfo(clues.mountinfo)) add(kind, `mount table shows a ${kind} root`);

  let wsl: ContainerFacts["wsl"];
  const kernelVersion = wslVersionFromKernel(clues.kernelOsrelease) ?? wslVersionFromKernel(clues.procVersion);
  const wslEnv = Boolean(env.WSL_DISTRO_NAME || env.WSL_INTEROP);
  if (kernelVersion || wslEnv) {
    // Without a kernel string, only WSL2 sets up the interop socket variable.
    const version = kernelVersion ?? (env.WSL_INTEROP ? 2 : 1);
    wsl = { version, interop: Boolean(env.WSL_INTEROP), ...(env.WSL_DISTRO_NAME ? { distro: env.WSL_DISTRO_NAME } : {}) };
    add(version === 2 ? "wsl2" : "wsl1", kernelVersion ? `kernel release names Microsoft (WSL${version})` : "env WSL_DISTRO_NAME/WSL_INTEROP is set");
  }

  const kinds = SPECIFICITY.filter((k) => found.has(k));
  return {
    kind: kinds[0] ?? null,
    kinds,
    evidence: [...new Set(evidence)],
    ...(wsl ? { wsl } : {}),
    cgroupVersion: cgroupVersionOf(clues.selfCgroup ?? clues.initCgroup),
    ci: detectCi(env),
  };
}

export async function gatherContainerClues(probe: ResolvedProbe): Promise<ContainerClues> {
  const at = (p: string) => underRoot(probe.root, p);
  const [dockerenv, containerenv, devcontainerDir, kubernetesSecrets, selfCgroup, initCgroup, procVersion, kernelOsrelease, mountinfo] =
    await Promise.all([
      existsPath(at("/.dockerenv")),
      readTextIfPresent(at("/run/.containerenv")),
      existsPath(at("/.devcontainer")),
      existsPath(at("/var/run/secrets/kubernetes.io")),
      readTextIfPresent(join(probe.procDir, "self", "cgroup")),
      readTextIfPresent(join(probe.procDir, "1", "cgroup")),
      readTextIfPresent(join(probe.procDir, "version")),
      readTextIfPresent(join(probe.procDir, "sys", "kernel", "osrelease")),
      readTextIfPresent(join(probe.procDir, "self", "mountinfo")),
    ]);
  return { env: probe.env, dockerenv, containerenv, devcontainerDir, kubernetesSecrets, selfCgroup, initCgroup, procVersion, kernelOsrelease, mountinfo };
}

export async function detectContainer(probe: ResolvedProbe): Promise<ContainerFacts> {
  if (probe.os !== "linux") {
    // Only the env-based facts mean anything off Linux (CI, Codespaces on a Windows host: no).
    return { kind: null, kinds: [], evidence: [], cgroupVersion: null, ci: detectCi(probe.env) };
  }
  return classifyContainer(await gatherContainerClues(probe));
}
