/**
 * configparser-compatible INI reading, shared by every INI file dhtl reads (pip.conf,
 * setup.cfg, tox.ini): `[section]`, `key = value` or `key: value`, full-line comments with
 * # or ;, and indented continuation lines appended with a newline. Each value keeps the
 * physical line of each of its lines, so a reader can point at `tox.ini:14` for the third
 * dependency of a multi-line `deps =`.
 */

export interface IniEntry {
  value: string;
  /** The line of `key =`. */
  line: number;
  /** Physical line of each line of `value` (value.split("\n")[i] was read at lines[i]). */
  lines: number[];
}

/** section → key → entry. Section names are lowercased; keys as `normalizeKey` makes them. */
export type IniSections = Record<string, Record<string, IniEntry>>;

export interface IniProblem {
  line: number;
  inSection: boolean;
}

export function readIni(text: string, opts: { normalizeKey: (key: string) => string; onProblem: (problem: IniProblem) => void }): IniSections {
  const data: IniSections = {};
  let section: string | undefined;
  let lastKey: string | undefined;
  // configparser (empty_lines_in_values=True, its default) lets a blank line sit inside a
  // multi-line value when an indented line follows: setup.cfg files write
  // `addopts =\n\t-v\n\t\n\t-ra` that way. Blank lines are kept pending until we know.
  let pendingBlank: number[] = [];
  text.split(/\r?\n/).forEach((line, idx) => {
    const lineNo = idx + 1;
    if (/^\s*$/.test(line)) {
      pendingBlank.push(lineNo);
      return;
    }
    if (/^\s*[#;]/.test(line)) return;
    const blanks = pendingBlank;
    pendingBlank = [];
    if (/^\s/.test(line) && lastKey && section) {
      const entry = data[section]![lastKey]!;
      // configparser keeps the newline even after an empty first value ("key =\n  a\n  b").
      entry.value = `${entry.value}${"\n".repeat(blanks.length + 1)}${line.trim()}`;
      entry.lines.push(...blanks, lineNo);
      return;
    }
    lastKey = undefined;
    const sec = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (sec) {
      section = sec[1]!.trim().toLowerCase();
      data[section] ??= {};
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (!kv || !section) {
      opts.onProblem({ line: lineNo, inSection: Boolean(section) });
      return;
    }
    const key = opts.normalizeKey(kv[1]!);
    // configparser keeps inline "#" unless inline_comment_prefixes is set (pip and tox do not set it).
    data[section]![key] = { value: kv[2]!.trim(), line: lineNo, lines: [lineNo] };
    lastKey = key;
  });
  return data;
}
