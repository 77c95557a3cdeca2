import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import {
  cgroupVersionOf,
  classifyContainer,
  containerKindsFromCgroup,
  containerKindsFromMountinfo,
  detectCi,
  detectContainer,
  wslVersionFromKernel,
  type ContainerClues,
} from "../../src/platform/container.ts";
import { resolveProbe } from "../../src/platform/probe.ts";
import { fixtureText, makeRoot, removeRoots } from "../fixtures/platform/roots.ts";

afterAll(removeRoots);

const clues = (over: Partial<ContainerClues> = {}): ContainerClues => ({
  env: {},
  dockerenv: false,
  devcontainerDir: false,
  kubernetesSecrets: false,
  ...over,
});

describe("cgroup layout", () => {
  test("v1 lists one hierarchy per controller", () => expect(cgroupVersionOf(fixtureText("cgroup/v1-host"))).toBe(1));
  test("v2 is the single 0:: line", () => {
    expect(cgroupVersionOf(fixtureText("cgroup/v2-namespaced"))).toBe(2);
    expect(cgroupVersionOf(fixtureText("cgroup/v2-host"))).toBe(2);
  });
  test("v1 controllers plus a 0:: line is hybrid", () => expect(cgroupVersionOf(fixtureText("cgroup/hybrid"))).toBe("hybrid"));
  test("no cgroup file (no /proc) is null", () => expect(cgroupVersionOf(undefined)).toBeNull());
});

describe("container engines in cgroup paths", () => {
  test("docker under cgroup v1", () => expect(containerKindsFromCgroup(fixtureText("cgroup/v1-docker"))).toEqual(["docker"]));
  test("docker scope under cgroup v2 without a cgroup namespace", () => expect(containerKindsFromCgroup(fixtureText("cgroup/v2-docker-host-ns"))).toEqual(["docker"]));
  test("podman's libpod scope", () => expect(containerKindsFromCgroup(fixtureText("cgroup/v2-podman-host-ns"))).toEqual(["podman"]));
  test("kubepods", () => expect(containerKindsFromCgroup(fixtureText("cgroup/v1-kubepods"))).toEqual(["kubernetes"]));
  test("a user session on the host names nothing", () => {
    expect(containerKindsFromCgroup(fixtureText("cgroup/v1-host"))).toEqual([]);
    expect(containerKindsFromCgroup(fixtureText("cgroup/v2-host"))).toEqual([]);
  });
});

describe("container engines in the mount table", () => {
  test("a root overlay with docker layers is docker", () =>
    expect(containerKindsFromMountinfo(fixtureText("mountinfo/docker-overlay-root"))).toEqual(["docker"]));
  test("a root overlay in containers/storage is podman", () =>
    expect(containerKindsFromMountinfo(fixtureText("mountinfo/podman-overlay-root"))).toEqual(["podman"]));
  test("lxcfs over /proc/cpuinfo is lxc", () => expect(containerKindsFromMountinfo(fixtureText("mountinfo/lxc-lxcfs"))).toEqual(["lxc"]));
  test("a host with nfs, cifs and sshfs mounts is no container", () =>
    expect(containerKindsFromMountinfo(fixtureText("mountinfo/network-mounts"))).toEqual([]));
  test("a namespaced docker container without /.dockerenv is still found through its root overlay", () => {
    const c = classifyContainer(clues({ selfCgroup: "0::/\n", mountinfo: fixtureText("mountinfo/docker-overlay-root") }));
    expect(c.kind).toBe("docker");
    expect(c.evidence).toEqual(["mount table shows a docker root"]);
  });
});

describe("WSL", () => {
  test("WSL1 kernel strings say Microsoft", () => {
    expect(wslVersionFromKernel(fixtureText("proc-version/wsl1"))).toBe(1);
    expect(wslVersionFromKernel(fixtureText("proc-version/wsl1-osrelease"))).toBe(1);
  });
  test("WSL2 kernel strings say microsoft-standard-WSL2", () => {
    expect(wslVersionFromKernel(fixtureText("proc-version/wsl2"))).toBe(2);
    expect(wslVersionFromKernel(fixtureText("proc-version/wsl2-osrelease"))).toBe(2);
  });
  test("a Debian kernel is not WSL", () => expect(wslVersionFromKernel(fixtureText("proc-version/debian"))).toBeUndefined());

  test("WSL2 with its env vars reports distro and interop", () => {
    const c = classifyContainer(
      clues({ kernelOsrelease: fixtureText("proc-version/wsl2-osrelease"), env: { WSL_DISTRO_NAME: "Ubuntu-22.04", WSL_INTEROP: "/run/WSL/8_interop" } }),
    );
    expect(c.kind).toBe("wsl2");
    expect(c.wsl).toEqual({ version: 2, distro: "Ubuntu-22.04", interop: true });
  });

  test("WSL1 from /proc/version alone", () => {
    const c = classifyContainer(clues({ procVersion: fixtureText("proc-version/wsl1") }));
    expect(c.kind).toBe("wsl1");
    expect(c.wsl?.version).toBe(1);
  });

  test("a docker container inside WSL2 is docker first, WSL2 second", () => {
    const c = classifyContainer(clues({ dockerenv: true, kernelOsrelease: fixtureText("proc-version/wsl2-osrelease") }));
    expect(c.kinds).toEqual(["docker", "wsl2"]);
  });
});

describe("container kind", () => {
  test("/.dockerenv means docker", () => {
    const c = classifyContainer(clues({ dockerenv: true, selfCgroup: "0::/\n" }));
    expect(c).toMatchObject({ kind: "docker", kinds: ["docker"], cgroupVersion: 2 });
    expect(c.evidence).toContain("/.dockerenv exists");
  });

  test("/run/.containerenv means podman, with the engine named", () => {
    const c = classifyContainer(clues({ containerenv: 'engine="podman-4.3.1"\nname="box"\n' }));
    expect(c.kind).toBe("podman");
    expect(c.evidence[0]).toContain("podman-4.3.1");
  });

  test("Kubernetes from KUBERNETES_SERVICE_HOST or the service-account secrets dir", () => {
    expect(classifyContainer(clues({ env: { KUBERNETES_SERVICE_HOST: "10.96.0.1" }, dockerenv: true })).kinds).toEqual(["kubernetes", "docker"]);
    expect(classifyContainer(clues({ kubernetesSecrets: true })).kind).toBe("kubernetes");
  });

  test("Codespaces is more specific than the devcontainer and docker it runs in", () => {
    const c = classifyContainer(clues({ env: { CODESPACES: "true", REMOTE_CONTAINERS: "true" }, dockerenv: true }));
    expect(c.kinds).toEqual(["codespaces", "devcontainer", "docker"]);
    expect(c.kind).toBe("codespaces");
  });

  test("a devcontainer from env or from /.devcontainer", () => {
    expect(classifyContainer(clues({ env: { DEVCONTAINER: "1" } })).kind).toBe("devcontainer");
    expect(classifyContainer(clues({ devcontainerDir: true })).kind).toBe("devcontainer");
    expect(classifyContainer(clues({ env: { REMOTE_CONTAINERS: "false" } })).kind).toBeNull();
  });

  test("bare metal with a host cgroup has no container", () => {
    const c = classifyContainer(clues({ selfCgroup: fixtureText("cgroup/v2-host"), procVersion: fixtureText("proc-version/debian") }));
    expect(c).toMatchObject({ kind: null, kinds: [], evidence: [], cgroupVersion: 2, ci: null });
  });
});

describe("CI", () => {
  test("named CI services win over the generic CI variable", () => {
    expect(detectCi({ CI: "true", GITHUB_ACTIONS: "true" })).toEqual({ name: "github-actions" });
    expect(detectCi({ GITLAB_CI: "true" })).toEqual({ name: "gitlab-ci" });
    expect(detectCi({ TF_BUILD: "True" })).toEqual({ name: "azure-pipelines" });
  });
  test("CI=true alone is generic; CI=false or unset is no CI", () => {
    expect(detectCi({ CI: "true" })).toEqual({ name: "generic" });
    expect(detectCi({ CI: "false" })).toBeNull();
    expect(detectCi({})).toBeNull();
  });
});

describe("container probe on files", () => {
  test("a fixture root with /.dockerenv and a docker cgroup is read as docker with cgroup v1", async () => {
    const root = makeRoot({
      "/.dockerenv": "",
      "/proc/self/cgroup": fixtureText("cgroup/v1-docker"),
      "/proc/1/cgroup": fixtureText("cgroup/v1-docker"),
      "/proc/version": fixtureText("proc-version/debian"),
    });
    const c = await detectContainer(resolveProbe({ root, env: { CI: "1" }, os: "linux" }));
    expect(c).toMatchObject({ kind: "docker", cgroupVersion: 1, ci: { name: "generic" } });
    expect(c.evidence).toEqual(["/.dockerenv exists", "/proc/self/cgroup names docker", "/proc/1/cgroup names docker"]);
  });

  test("the real machine: docker is reported exactly when /.dockerenv exists", async () => {
    const c = await detectContainer(resolveProbe({ env: {} }));
    if (existsSync("/.dockerenv")) expect(c.kinds).toContain("docker");
    else expect(c.evidence).not.toContain("/.dockerenv exists");
  });
});
