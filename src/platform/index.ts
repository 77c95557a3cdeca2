/**
 * Facts about the machine dhtl runs on. The public face of src/platform: other areas
 * import from here only.
 */
export { getPlatformFacts, pythonPlatformKey, resetPlatformFactsCache } from "./facts.ts";
export { filesystemOf, type FilesystemProbe } from "./filesystem.ts";
export type {
  ArchName,
  ContainerFacts,
  ContainerKind,
  DistroFacts,
  FilesystemFacts,
  FsKind,
  LibcFacts,
  LibcFamily,
  OsName,
  PlatformFacts,
  PrivilegeFacts,
  ProbeRoots,
  WindowsFacts,
} from "./types.ts";
