/**
 * tox's configuration, read the way tox 4 reads it, without tox: `tox.ini`, `setup.cfg`
 * `[tox:tox]`, `pyproject.toml` `[tool.tox]` (its `legacy_tox_ini` string, or the native
 * tables) and `tox.toml`. What a test route needs of it:
 *
 *  - the env list with generative names expanded (`py{38,39}-django{32,42}`),
 *  - for one env: deps, extras, dependency_groups, commands, commands_pre, setenv,
 *    changedir, with inheritance from `[testenv]`, factor-conditional lines
 *    (`py38: pytest<7`, `!windows: uvloop`), `{[section]key}` references and the
 *    substitutions that matter here (`{posargs}`, `{toxinidir}`, `{envpython}`, `{env:X:d}`).
 *
 * Every value keeps the line it was read from, for the plan's evidence. Pure.
 */
import { readIni, type IniSections } from "../../project/ini.ts";
import { tomlLine } from "../../project/pyproject.ts";
import { shellQuote, shellWords } from "../shell-words.ts";

export interface ToxLine {
  text: string;
  line: number;
}

interface SectionValue {
  value: string;
  lines: number[];
}

type Section = Record<string, SectionValue>;

export interface ToxConfig {
  /** The file it was read from (tox.ini, setup.cfg, pyproject.toml, tox.toml). */
  file: string;
  envlist: string[];
  envlistLine?: number;
  /** Env sections by their (unexpanded) name: "" is `[testenv]`, "py{38,39}" is `[testenv:py{38,39}]`. */
  sections: Map<string, { section: Section; line: number }>;
  /** Other sections, for `{[section]key}` references. */
  others: Map<string, Section>;
  /** `[testenv]`'s header line (or the table's). */
  baseLine: number;
  /**
   * tox-gh / tox-gh-actions: which envs CI runs for each Python (`[gh] python = 3.13:
   * py313-extra`). The envs CI really runs are the test route's best evidence.
   */
  ciEnvs?: { byMinor: Map<string, string[]>; line: number; section: string };
}

export interface ToxEnv {
  name: string;
  file: string;
  /** `[testenv:py311]` or `[testenv]`, for evidence. */
  sectionName: string;
  sectionLine: number;
  deps: ToxLine[];
  extras: ToxLine[];
  dependencyGroups: ToxLine[];
  commands: ToxLine[];
  commandsPre: ToxLine[];
  setenv: Record<string, ToxLine>;
  /** `pass_env` / `passenv`: names and globs of the caller's variables tox lets through. */
  passEnv: string[];
  changedir?: ToxLine;
  skipInstall: boolean;
  basepython?: ToxLine;
}

/** tox accepts `set_env` and `setenv`, `change_dir` and `changedir`: compare without separators. */
const toxKey = (key: string) => key.trim().toLowerCase().replace(/[_-]/g, "");

/** Brace expansion as tox does it: `py{38,39}-x` → py38-x, py39-x; `py3{9-12}` → py39 … py312. */
/** At most this many names from one generative name: `py{1,2}` repeated would otherwise explode. */
const MAX_EXPANSION = 512;

export function expandBraces(text: string, budget = { left: MAX_EXPANSION }): string[] {
  // A name with dozens of brace groups is no env name tox users write: taken literally.
  if (budget.left === MAX_EXPANSION && (text.match(/\{/g)?.length ?? 0) > 16) return [text];
  const m = /\{([^{}]*)\}/.exec(text);
  if (!m) {
    budget.left--;
    return budget.left >= 0 ? [text] : [];
  }
  const inner = m[1]!;
  const range = /^(\d+)-(\d+)$/.exec(inner.trim());
  const options = range
    ? Array.from({ length: Math.max(0, Math.min(200, Number(range[2]) - Number(range[1]) + 1)) }, (_, i) => String(Number(range[1]) + i))
    : inner.split(",").map((s) => s.trim());
  const before = text.slice(0, m.index);
  const after = text.slice(m.index + m[0].length);
  const out: string[] = [];
  for (const o of options) {
    if (budget.left <= 0) break;
    out.push(...expandBraces(`${before}${o}${after}`, budget));
  }
  return out;
}

/** An env list value (commas or lines, brace-expanded, comments dropped). */
export function parseEnvList(value: string): string[] {
  const out: string[] = [];
  // Commas inside braces separate options, not envs.
  let depth = 0;
  let item = "";
  const flush = () => {
    const t = item.replace(/#.*/, "").trim();
    if (t) out.push(...expandBraces(t));
    item = "";
  };
  for (const c of value) {
    if (c === "{") depth++;
    if (c === "}") depth--;
    if ((c === "," || c === "\n") && depth <= 0) flush();
    else item += c;
  }
  flush();
  return [...new Set(out)];
}

function readIniConfig(text: string, file: string, mainSection: string, envPrefix: string): ToxConfig {
  const ini: IniSections = readIni(text, { normalizeKey: toxKey, onProblem: () => undefined });
  const sections = new Map<string, { section: Section; line: number }>();
  const others = new Map<string, Section>();
  const headerLine = (name: string) => {
    const lines = text.split(/\r?\n/);
    const idx = lines.findIndex((l) => l.trim().toLowerCase() === `[${name}]`);
    return idx >= 0 ? idx + 1 : 1;
  };
  for (const [name, section] of Object.entries(ini)) {
    const sec: Section = Object.fromEntries(Object.entries(section).map(([k, v]) => [k, { value: v.value, lines: v.lines }]));
    if (name === envPrefix) sections.set("", { section: sec, line: headerLine(name) });
    else if (name.startsWith(`${envPrefix}:`)) sections.set(name.slice(envPrefix.length + 1).trim(), { section: sec, line: headerLine(name) });
    others.set(name, sec);
  }
  const main = ini[mainSection];
  const envlistEntry = main?.envlist;
  let ciEnvs: ToxConfig["ciEnvs"];
  for (const section of ["gh", "gh-actions"]) {
    const entry = ini[section]?.python;
    if (!entry) continue;
    const byMinor = new Map<string, string[]>();
    for (const line of entry.value.split("\n")) {
      const m = /^\s*(?:pypy-?)?(\d+\.\d+)\s*:\s*(.+)$/.exec(line);
      if (m) byMinor.set(m[1]!, parseEnvList(m[2]!.replace(/\s+/g, ",")));
    }
    if (byMinor.size) ciEnvs = { byMinor, line: entry.line, section: `[${section}]` };
    break;
  }
  return {
    file,
    envlist: envlistEntry ? parseEnvList(envlistEntry.value) : [],
    ...(envlistEntry ? { envlistLine: envlistEntry.line } : {}),
    sections,
    others,
    baseLine: sections.get("")?.line ?? 1,
    ...(ciEnvs ? { ciEnvs } : {}),
  };
}

export function readToxIni(text: string, file = "tox.ini"): ToxConfig {
  return readIniConfig(text, file, "tox", "testenv");
}

/** setup.cfg's `[tox:tox]` and `[testenv…]` sections. */
export function readSetupCfgTox(text: string): ToxConfig | undefined {
  if (!/^\[tox:tox\]/im.test(text)) return undefined;
  return readIniConfig(text, "setup.cfg", "tox:tox", "testenv");
}

type Table = Record<string, unknown>;
const asTable = (v: unknown): Table | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Table) : undefined);

/** A native TOML command: words, with `{ replace = "posargs", default = […] }` becoming `{posargs:…}`. */
function tomlCommandText(command: unknown): string {
  if (!Array.isArray(command)) return typeof command === "string" ? command : "";
  return command
    .map((word) => {
      if (typeof word === "string") return shellQuote(word);
      const t = asTable(word);
      if (t?.replace === "posargs") {
        const d = Array.isArray(t.default) ? t.default.filter((x): x is string => typeof x === "string") : [];
        return d.length ? `{posargs:${d.map(shellQuote).join(" ")}}` : "{posargs}";
      }
      if (t?.replace === "env" && typeof t.name === "string") return `{env:${t.name}:${typeof t.default === "string" ? t.default : ""}}`;
      if (t?.replace === "ref") return "";
      return "";
    })
    .filter(Boolean)
    .join(" ");
}

function tomlSection(table: Table, text: string, tableName: string): Section {
  const out: Section = {};
  for (const [key, value] of Object.entries(table)) {
    const line = tomlLine(text, tableName, key) ?? tomlLine(text, tableName) ?? 1;
    const k = toxKey(key);
    let rendered: string | undefined;
    if (typeof value === "string" || typeof value === "boolean" || typeof value === "number") rendered = String(value);
    else if (Array.isArray(value)) {
      rendered = (k === "commands" || k === "commandspre" || k === "commandspost" ? value.map(tomlCommandText) : value.map((v) => (typeof v === "string" ? v : ""))).join("\n");
    } else if (asTable(value) && k === "setenv") {
      rendered = Object.entries(asTable(value)!)
        .map(([n, v]) => `${n} = ${typeof v === "string" ? v : String(v)}`)
        .join("\n");
    }
    if (rendered !== undefined) out[k] = { value: rendered, lines: rendered.split("\n").map(() => line) };
  }
  return out;
}

/** tox's native TOML: `[tool.tox]` in pyproject.toml (prefix "tool.tox") or tox.toml (prefix ""). */
export function readToxToml(data: Table, text: string, file: string, prefix: string): ToxConfig | undefined {
  const root = prefix ? asTable(asTable(data.tool)?.tox) : data;
  if (!root) return undefined;
  const legacy = root.legacy_tox_ini;
  if (typeof legacy === "string") {
    const offset = text.split(/\r?\n/).findIndex((l) => /legacy_tox_ini\s*=/.test(l));
    const cfg = readToxIni(legacy, file);
    // Lines inside the string are counted from the line after `legacy_tox_ini = """`.
    const shift = (n: number) => n + Math.max(0, offset + 1);
    // Env sections are also in `others` (the same objects): shift each value once.
    const values = new Set([...cfg.sections.values()].flatMap(({ section }) => Object.values(section)).concat([...cfg.others.values()].flatMap((sec) => Object.values(sec))));
    for (const v of values) v.lines = v.lines.map(shift);
    for (const [k, v] of cfg.sections) cfg.sections.set(k, { ...v, line: shift(v.line) });
    if (cfg.envlistLine) cfg.envlistLine = shift(cfg.envlistLine);
    cfg.baseLine = shift(cfg.baseLine);
    return cfg;
  }
  const p = (name: string) => (prefix ? `${prefix}.${name}` : name);
  const sections = new Map<string, { section: Section; line: number }>();
  const base = asTable(root.env_run_base);
  if (base) sections.set("", { section: tomlSection(base, text, p("env_run_base")), line: tomlLine(text, p("env_run_base")) ?? 1 });
  for (const [name, table] of Object.entries(asTable(root.env) ?? {})) {
    const t = asTable(table);
    if (t) sections.set(name, { section: tomlSection(t, text, p(`env.${name}`)), line: tomlLine(text, p(`env.${name}`)) ?? 1 });
  }
  const envList = root.env_list ?? root.envlist;
  if (!sections.size && !envList) return undefined;
  return {
    file,
    envlist: Array.isArray(envList) ? envList.filter((e): e is string => typeof e === "string").flatMap((name) => expandBraces(name)) : typeof envList === "string" ? parseEnvList(envList) : [],
    envlistLine: tomlLine(text, prefix || "", "env_list") ?? tomlLine(text, prefix || "", "envlist"),
    sections,
    others: new Map(),
    baseLine: sections.get("")?.line ?? 1,
  };
}

/** The section that configures `env`: `[testenv:env]`, or a generative one that expands to it. */
function sectionFor(cfg: ToxConfig, env: string): { key: string; section: Section; line: number } | undefined {
  const exact = cfg.sections.get(env);
  if (exact) return { key: env, ...exact };
  for (const [key, value] of cfg.sections) if (key && expandBraces(key).includes(env)) return { key, ...value };
  return undefined;
}

/** Does a condition such as `py38,py39`, `!windows`, `py3{8,9}-django` hold for these factors? */
export function factorConditionHolds(condition: string, factors: Set<string>): boolean {
  // Alternatives are comma-separated (commas inside braces are options), each brace-expanded.
  return parseEnvList(condition).some((group) =>
    group.split("-").every((f) => {
      const t = f.trim();
      return t.startsWith("!") ? !factors.has(t.slice(1)) : factors.has(t);
    }),
  );
}

/**
 * `py38, py39: pytest<7` → condition and value; undefined when the line has no factor prefix.
 * A plain scan (no backtracking regular expression: tox files are untrusted input).
 */
function splitCondition(text: string): { cond: string; value: string } | undefined {
  const colon = text.indexOf(":");
  if (colon <= 0) return undefined;
  const cond = text.slice(0, colon).trim();
  // Factors, braces, commas and `!`; spaces only next to commas.
  if (!/^[!\w.{},-]+$/.test(cond.replace(/\s*,\s*/g, ","))) return undefined;
  return { cond, value: text.slice(colon + 1).trim() };
}

/** The lines of a multi-line value that apply to an env with these factors. */
function applicableLines(value: SectionValue, factors: Set<string>, cfg: ToxConfig, depth = 0): ToxLine[] {
  const out: ToxLine[] = [];
  const parts = value.value.split("\n");
  let pendingContinuation: ToxLine | undefined;
  parts.forEach((raw, i) => {
    const line = value.lines[i] ?? value.lines[0] ?? 1;
    let text = raw.trim();
    if (!text || text.startsWith("#")) return;
    if (pendingContinuation) {
      pendingContinuation.text = `${pendingContinuation.text} ${text}`.replace(/\\\s*$/, "").trim();
      if (!/\\\s*$/.test(raw)) pendingContinuation = undefined;
      return;
    }
    const m = splitCondition(text);
    // `factor: value` (not a URL's scheme, not a Windows drive).
    if (m && !/^[a-z][\w+.-]*:\/\//i.test(text) && !/^(https?|file|git\+\w+|[a-z])$/i.test(m.cond)) {
      if (!factorConditionHolds(m.cond, factors)) return;
      text = m.value;
    }
    // `{[testenv]deps}`: another section's value, its lines applied with the same factors.
    const ref = /^\{\[([^\]]+)\]([\w-]+)\}$/.exec(text);
    if (ref && depth < 5) {
      const section = ref[1]!.toLowerCase();
      const target = section === "testenv" ? cfg.sections.get("")?.section : section.startsWith("testenv:") ? sectionFor(cfg, section.slice(8))?.section : cfg.others.get(section);
      const v = target?.[toxKey(ref[2]!)];
      if (v) out.push(...applicableLines(v, factors, cfg, depth + 1));
      return;
    }
    const entry: ToxLine = { text: text.replace(/\\\s*$/, "").trim(), line };
    out.push(entry);
    if (/\\\s*$/.test(raw)) pendingContinuation = entry;
  });
  return out;
}

/** The settings of one env, inheritance and factors applied. */
export function toxEnv(cfg: ToxConfig, env: string): ToxEnv {
  const own = sectionFor(cfg, env);
  const base = cfg.sections.get("");
  const factors = new Set(env.split("-"));
  const pick = (key: string): SectionValue | undefined => own?.section[key] ?? base?.section[key];
  const lines = (key: string) => {
    const v = pick(key);
    return v ? applicableLines(v, factors, cfg) : [];
  };
  const setenv: Record<string, ToxLine> = {};
  // Inherited set_env values stay unless the env's own section sets the same name.
  for (const src of [base?.section.setenv, own?.section.setenv]) {
    if (!src) continue;
    for (const l of applicableLines(src, factors, cfg)) {
      const m = /^([A-Za-z_][\w]*)\s*=\s*(.*)$/.exec(l.text);
      if (m) setenv[m[1]!] = { text: m[2]!, line: l.line };
    }
  }
  const one = (key: string) => lines(key)[0];
  const skip = one("skipinstall")?.text ?? one("package")?.text;
  const changedir = one("changedir");
  const basepython = one("basepython");
  return {
    name: env,
    file: cfg.file,
    sectionName: own?.key ? `[testenv:${own.key}]` : "[testenv]",
    sectionLine: own?.line ?? cfg.baseLine,
    deps: lines("deps"),
    extras: lines("extras").flatMap((l) => l.text.split(/[\s,]+/).filter(Boolean).map((text) => ({ text, line: l.line }))),
    dependencyGroups: lines("dependencygroups").flatMap((l) => l.text.split(/[\s,]+/).filter(Boolean).map((text) => ({ text, line: l.line }))),
    commands: lines("commands"),
    commandsPre: lines("commandspre"),
    setenv,
    passEnv: lines("passenv").flatMap((l) => l.text.split(/[\s,]+/).filter(Boolean)),
    ...(changedir ? { changedir } : {}),
    skipInstall: /^(true|skip)$/i.test(skip ?? ""),
    ...(basepython ? { basepython } : {}),
  };
}

/** Every env tox knows: the env list, else every `[testenv:…]` section (expanded), else `py`. */
export function toxEnvNames(cfg: ToxConfig): string[] {
  if (cfg.envlist.length) return cfg.envlist;
  const named = [...cfg.sections.keys()].filter(Boolean).flatMap((name) => expandBraces(name));
  // Without an env list a bare `tox` runs `py`, the base [testenv]: it comes first, the named
  // envs (jaraco's `diffcov`, `docs`) run only when asked for.
  return cfg.sections.has("") ? ["py", ...named.filter((n) => n !== "py")] : named;
}

/** The Python minor a factor names: py38 → 3.8, py310 → 3.10, py3.11 → 3.11, python3.12 → 3.12. */
export function minorOfFactor(factor: string): string | undefined {
  // tox 4 also takes a bare version as a factor: `3.12-tests`.
  const m = /^(?:py|python|cpython)?(\d)\.?(\d{1,2})t?$/.exec(factor);
  if (m && !/^(py|python|cpython)/.test(factor) && !factor.includes(".")) return undefined;
  return m ? `${m[1]}.${m[2]}` : undefined;
}

/** tox's placeholders in a value, without splitting it into words (a deps line is one requirement). */
export function substituteToxText(text: string, vars: { toxinidir: string; env: Record<string, string | undefined> }): string {
  return text
    .replace(/\{env:([^:}]+)(?::([^}]*))?\}/g, (_, name: string, dflt?: string) => vars.env[name] ?? dflt ?? "")
    .replace(/\{(toxinidir|tox_root|toxworkdir|work_dir)\}/g, vars.toxinidir)
    .replace(/\{(envpython|env_python)\}/g, "python")
    .replace(/\{(envbindir|env_bin_dir)\}[\\/]/g, "")
    .replace(/\{\/\}/g, "/")
    .replace(/\{:\}/g, ":");
}

/** Replace `{posargs}` / `{posargs:default}` (the default may hold `{…}` itself) with a marker word. */
function markPosargs(text: string): { text: string; defaultText?: string; found: boolean } {
  const at = text.indexOf("{posargs");
  if (at < 0) return { text, found: false };
  let depth = 0;
  let end = at;
  for (; end < text.length; end++) {
    if (text[end] === "{") depth++;
    else if (text[end] === "}" && --depth === 0) break;
  }
  const inner = text.slice(at + 1, end); // posargs or posargs:default
  const defaultText = inner.startsWith("posargs:") ? inner.slice(8) : undefined;
  return { text: `${text.slice(0, at)} \u0000POSARGS\u0000 ${text.slice(end + 1)}`, ...(defaultText !== undefined ? { defaultText } : {}), found: true };
}

/** Substitute tox's placeholders in a command's words; `{posargs}` is marked for the caller. */
export function substituteToxWords(
  text: string,
  vars: { toxinidir: string; env: Record<string, string | undefined> },
): { words: string[]; posargs?: { index: number; default: string[] } } {
  const fill = (t: string) => substituteToxText(t, vars);
  // tox 3's old spelling of {posargs}: a bare `[]` word.
  const marked = markPosargs(/(^|\s)\[\](\s|$)/.test(text) && !text.includes("{posargs") ? text.replace(/(^|\s)\[\](?=\s|$)/, "$1{posargs}") : text);
  const words: string[] = [];
  let posargs: { index: number; default: string[] } | undefined;
  for (const word of shellWords(fill(marked.text))) {
    if (word === "\u0000POSARGS\u0000") {
      posargs = { index: words.length, default: marked.defaultText ? shellWords(fill(marked.defaultText)) : [] };
      continue;
    }
    words.push(word);
  }
  return { words, ...(posargs ? { posargs } : {}) };
}
