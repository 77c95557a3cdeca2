/**
 * Facts injected at build time by scripts/build.ts (`define`). When running from source
 * (bun src/cli.ts) they are absent and we fall back to package.json / "dev".
 */
declare const BUILD_VERSION: string | undefined;
declare const BUILD_COMMIT: string | undefined;
declare const BUILD_TARGET: string | undefined;

export const buildInfo = {
  version: typeof BUILD_VERSION === "string" ? BUILD_VERSION : "0.0.0-dev",
  commit: typeof BUILD_COMMIT === "string" ? BUILD_COMMIT : "unknown",
  target:
    typeof BUILD_TARGET === "string" ? BUILD_TARGET : `${process.platform}-${process.arch} (source)`,
};

export function versionLine(): string {
  return `dhtl ${buildInfo.version} (${buildInfo.commit} ${buildInfo.target})`;
}
