import { defineDhtCommand } from "../define.ts";

export default defineDhtCommand({
  meta: { name: "list", description: "List installed managed builds, interpreters found on this machine, and builds available for it" },
  examples: ["dhtl python list", "dhtl python list --all", "dhtl python list --json"],
  args: {
    all: { type: "boolean", description: "Every available patch release (default: the newest of each minor)" },
  },
  async run({ args, ctx }) {
    const { homeOf } = await import("../../python/command-support.ts");
    const { listManagedInstalls, listMinorLinks } = await import("../../python/installs.ts");
    const { loadPythonBuilds, buildsForPlatform } = await import("../../python/manifest.ts");
    const { hostFacts, platformKeyOf, findSystemInterpreters } = await import("../../python/resolve.ts");
    const { minorOf } = await import("../../python/version.ts");
    const { printJson, printText, formatTable } = await import("../../ui/output.ts");
    const home = homeOf(ctx);
    const facts = await hostFacts(ctx.env);
    const platform = await platformKeyOf(facts);
    const installed = listManagedInstalls(home, platform);
    const links = listMinorLinks(home);
    const { builds, origin } = await loadPythonBuilds(ctx.env);
    let available = buildsForPlatform(builds, platform);
    if (!args.all) {
      // The list is newest first: keep the first build of each minor.
      const seen = new Set<string>();
      available = available.filter((b) => {
        const minor = minorOf(b.version);
        if (seen.has(minor)) return false;
        seen.add(minor);
        return true;
      });
    }
    const found = await findSystemInterpreters({ env: ctx.env, home, os: facts.os, arch: facts.arch, implementation: "cpython", accepts: () => true });
    const system = found.usable.map((u) => ({ path: u.candidate.path, version: u.info.version, source: u.candidate.source }));
    const unusable = found.rejected;
    const installedVersions = new Set(installed.map((i) => i.version));
    if (ctx.json) {
      printJson({
        platform,
        installed: installed.map((i) => ({ ...i, minorLink: Object.entries(links).find(([, key]) => key === i.key)?.[0] })),
        system,
        unusable,
        available: available.map((b) => ({ version: b.version, build: b.build, url: b.url, sha256: b.sha256, installed: installedVersions.has(b.version) })),
        source: origin,
      });
      return;
    }
    const out: string[] = [];
    out.push(`Managed (${home}/python):`);
    if (installed.length) {
      out.push(formatTable(installed.map((i) => {
        const link = Object.entries(links).find(([, key]) => key === i.key)?.[0];
        return [`  ${i.key}`, i.executable, link ? `(${link})` : ""];
      })));
    } else out.push("  none");
    out.push("", "On this machine:");
    out.push(system.length ? formatTable(system.map((s) => [`  ${s.version}`, s.path, s.source])) : "  none usable");
    if (unusable.length) out.push(...unusable.map((u) => `  (not usable) ${u.path}: ${u.why}`));
    out.push("", `Available for ${platform}${args.all ? "" : " (newest of each minor; --all for every patch)"}:`);
    out.push(formatTable(available.map((b) => [`  ${b.version}`, b.build, installedVersions.has(b.version) ? "installed" : ""])));
    printText(out.join("\n"));
  },
});
