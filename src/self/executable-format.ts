/**
 * What an executable's header says: format (ELF, Mach-O, PE), CPU, ELF program interpreter
 * (glibc or musl loader). Pure, over the first bytes of the file. Used by
 * scripts/check-artifacts.ts before a release ships and by `dhtl self update` before it
 * swaps anything in: a script or an executable for another target is refused by its header,
 * not only by what it prints for --version.
 */

export interface HeaderFacts {
  format: "elf" | "macho" | "pe" | "unknown";
  arch?: "x64" | "arm64" | string;
  /** ELF: the requested program interpreter (PT_INTERP). */
  interpreter?: string;
  /** Mach-O: MH_EXECUTE and whether an LC_CODE_SIGNATURE load command exists. */
  executable?: boolean;
  codeSignature?: boolean;
  /** Mach-O: where LC_CODE_SIGNATURE says the signature blob is. */
  signatureOffset?: number;
  signatureSize?: number;
  /** PE: PE32+ and the subsystem (3 = console). */
  pe32plus?: boolean;
  subsystem?: number;
}

/** Read format and CPU from the first bytes of an executable (pure; tests feed it bytes). */
export function inspectHeader(bytes: Uint8Array): HeaderFacts {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 64 && view.getUint32(0) === 0x7f454c46) {
    if (bytes[4] !== 2 || bytes[5] !== 1) return { format: "elf", arch: `unsupported class ${bytes[4]}/data ${bytes[5]}` };
    const machine = view.getUint16(0x12, true);
    const arch = machine === 0x3e ? "x64" : machine === 0xb7 ? "arm64" : `e_machine 0x${machine.toString(16)}`;
    const phoff = Number(view.getBigUint64(0x20, true));
    const phentsize = view.getUint16(0x36, true);
    const phnum = view.getUint16(0x38, true);
    let interpreter: string | undefined;
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * phentsize;
      if (at + 56 > bytes.length) break;
      if (view.getUint32(at, true) === 3 /* PT_INTERP */) {
        const offset = Number(view.getBigUint64(at + 8, true));
        const size = Number(view.getBigUint64(at + 32, true));
        interpreter = new TextDecoder().decode(bytes.subarray(offset, offset + size)).replace(/\0+$/, "");
      }
    }
    return { format: "elf", arch, interpreter };
  }
  if (bytes.length >= 32 && view.getUint32(0, true) === 0xfeedfacf) {
    const cputype = view.getUint32(4, true);
    const arch = cputype === 0x01000007 ? "x64" : cputype === 0x0100000c ? "arm64" : `cputype 0x${cputype.toString(16)}`;
    const filetype = view.getUint32(12, true);
    const ncmds = view.getUint32(16, true);
    let at = 32;
    let codeSignature = false;
    let signatureOffset: number | undefined;
    let signatureSize: number | undefined;
    for (let i = 0; i < ncmds && at + 8 <= bytes.length; i++) {
      const cmd = view.getUint32(at, true);
      if (cmd === 0x1d /* LC_CODE_SIGNATURE */) {
        codeSignature = true;
        signatureOffset = view.getUint32(at + 8, true);
        signatureSize = view.getUint32(at + 12, true);
      }
      at += view.getUint32(at + 4, true);
    }
    return { format: "macho", arch, executable: filetype === 2, codeSignature, signatureOffset, signatureSize };
  }
  if (bytes.length >= 0x40 && bytes[0] === 0x4d && bytes[1] === 0x5a) {
    const pe = view.getUint32(0x3c, true);
    if (pe + 24 + 70 > bytes.length || view.getUint32(pe) !== 0x50450000) return { format: "pe", arch: "no PE signature" };
    const machine = view.getUint16(pe + 4, true);
    const arch = machine === 0x8664 ? "x64" : machine === 0xaa64 ? "arm64" : `machine 0x${machine.toString(16)}`;
    const optional = pe + 24;
    return { format: "pe", arch, pe32plus: view.getUint16(optional, true) === 0x20b, subsystem: view.getUint16(optional + 68, true) };
  }
  return { format: "unknown" };
}

const loaders: Record<string, string> = {
  "linux-x64": "/lib64/ld-linux-x86-64.so.2",
  "linux-arm64": "/lib/ld-linux-aarch64.so.1",
  "linux-x64-musl": "/lib/ld-musl-x86_64.so.1",
  "linux-arm64-musl": "/lib/ld-musl-aarch64.so.1",
};

/** Problems with a header for a target, or [] when it is what the target promises. */
export function headerProblems(target: string, facts: HeaderFacts): string[] {
  const [os, arch] = target.split("-") as [string, string];
  const want = { linux: "elf", darwin: "macho", windows: "pe" }[os];
  const problems: string[] = [];
  if (facts.format !== want) return [`expected ${want}, found ${facts.format}`];
  if (facts.arch !== arch) problems.push(`expected ${arch} code, header says ${facts.arch}`);
  if (os === "linux" && facts.interpreter !== loaders[target]) {
    problems.push(`expected interpreter ${loaders[target]}, found ${facts.interpreter ?? "none"}`);
  }
  if (os === "darwin") {
    if (!facts.executable) problems.push("Mach-O file type is not MH_EXECUTE");
    if (!facts.codeSignature) problems.push("no LC_CODE_SIGNATURE: macOS kills unsigned arm64 executables");
  }
  if (os === "windows") {
    if (!facts.pe32plus) problems.push("not PE32+");
    if (facts.subsystem !== 3) problems.push(`subsystem ${facts.subsystem}, expected 3 (console)`);
  }
  return problems;
}

/** The newest GLIBC_x.y symbol version an ELF needs (readelf works for any architecture). */
