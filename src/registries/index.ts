/**
 * Package indexes: discovery (where packages come from and why), credentials (who we are
 * to them), and passing both to uv and pip. See docs/dependencies.md.
 */
export type { CredentialsConfig, IndexCredential, NamedIndex, RegistriesConfig, RegistryCredentials, RegistrySettings } from "./types.ts";
export { PYPI_SIMPLE, registrySettings } from "./types.ts";
export { discoverRegistries, mergeLayers, type DiscoverRegistriesOptions, type ProjectIndexOptions } from "./discover.ts";
export { resolveCredentials, keyringGet, indexUrlsOf, type ResolveCredentialsOptions } from "./credentials.ts";
export { registryEnvForUv, registryArgsForUv, registryEnvForPip, registryArgsForPip, childEnv, uvIndexEnvName, type EnvOverlay } from "./env.ts";
export { describeRegistries, registriesView, type RegistriesView, type RegistryEntryView } from "./describe.ts";
export { explainIndexFailure, redactOutput } from "./failure.ts";
export { pipConfigLocations, parseIni, readPipFileOptions, readPipEnvOptions } from "./pip-conf.ts";
export { uvConfigFiles, readUvEnvLayer, readUvFileLayers, readPyprojectUvLayer, parseIndexArg } from "./uv-conf.ts";
export { parseNetrc, netrcPath, netrcLookup } from "./netrc.ts";
export { checkIndexAccess, type ProbeOptions } from "./probe.ts";
export { indexAccessError } from "./failure.ts";
export { explainInstallFailure, resolutionFailurePackage, type InstallFailureContext } from "./install-failure.ts";
