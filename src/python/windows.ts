/**
 * Windows interpreter discovery, as pure parsers of command output so they can be tested
 * on fixture text anywhere:
 *   `py -0p`                                    the Python launcher's list
 *   `reg query HKCU\Software\Python /s` (etc.)  PEP 514 registrations
 */

export interface WindowsPythonEntry {
  /** "3.12", "3.11-32", "3.13t" as the source names it. */
  tag: string;
  /** "PythonCore", "ContinuumAnalytics", "Astral", or "py" for the launcher. */
  company: string;
  executable: string;
  /** Version text when the source gives one ("3.12.1"), else the tag's version. */
  version?: string;
  /** 32 when the tag or registry says so. */
  bits?: 32 | 64;
  isDefault?: boolean;
}

/**
 * `py -0p` output. Two formats exist:
 *   new (3.11+ launcher):  " -V:3.12 *        C:\Python312\python.exe"
 *                          " -V:ContinuumAnalytics/Anaconda39-64 C:\...\python.exe"
 *   old:                   " -3.11-64 *      C:\Python311\python.exe"
 * Lines without a path (" -V:3.12  Python 3.12 (Store)") are skipped.
 */
export function parsePyLauncherList(output: string): WindowsPythonEntry[] {
  const out: WindowsPythonEntry[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trim();
    const m = /^-(?:V:)?(\S+)\s+(\*\s+)?(.+)$/.exec(line);
    if (!m) continue;
    const tagText = m[1]!;
    const exe = m[3]!.trim();
    if (!/^[a-zA-Z]:\\|^\\\\/.test(exe) || !/\.exe$/i.test(exe)) continue;
    const [company, tag] = tagText.includes("/") ? (tagText.split("/", 2) as [string, string]) : ["PythonCore", tagText];
    const bits = /-32$/.test(tag) ? 32 : /-64$/.test(tag) ? 64 : undefined;
    const version = /^(\d+\.\d+)/.exec(tag)?.[1];
    out.push({ tag, company, executable: exe, version, bits, isDefault: Boolean(m[2]) });
  }
  return out;
}

/**
 * `reg query <root>\Software\Python /s` output: blocks of a key line followed by indented
 * "name    REG_SZ    value" lines. PEP 514: <Company>\<Tag>\InstallPath has
 * ExecutablePath (or a default value with the directory), and <Company>\<Tag> may have
 * Version / SysVersion / SysArchitecture.
 */
export function parseRegQuery(output: string): WindowsPythonEntry[] {
  const keys = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const raw of output.split(/\r?\n/)) {
    if (!raw.trim()) continue;
    if (/^HKEY_/i.test(raw)) {
      current = {};
      keys.set(raw.trim(), current);
      continue;
    }
    const v = /^\s+(.+?)\s{2,}(REG_\w+)\s{2,}(.*)$/.exec(raw) ?? /^\s+(.+?)\s+(REG_\w+)\s*$/.exec(raw);
    if (v && current) current[v[1]!.trim()] = (v[3] ?? "").trim();
  }
  const out: WindowsPythonEntry[] = [];
  for (const [key, values] of keys) {
    const m = /\\Software\\(?:WOW6432Node\\)?Python\\([^\\]+)\\([^\\]+)\\InstallPath$/i.exec(key);
    if (!m) continue;
    const [, company, tag] = m as unknown as [string, string, string];
    let exe = values.ExecutablePath;
    const dir = values["(Default)"] ?? values["(Standard)"];
    if (!exe && dir) exe = `${dir.replace(/\\+$/, "")}\\python.exe`;
    if (!exe) continue;
    const parent = keys.get(key.replace(/\\InstallPath$/i, "")) ?? {};
    const arch = parent.SysArchitecture;
    const bits = arch === "32bit" || /-32$/.test(tag) || /WOW6432Node/i.test(key) ? 32 : arch === "64bit" ? 64 : undefined;
    out.push({ tag, company, executable: exe, version: parent.Version ?? parent.SysVersion ?? /^(\d+\.\d+)/.exec(tag)?.[1], bits });
  }
  return out;
}
