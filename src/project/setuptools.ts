/**
 * setuptools' declarative metadata in setup.cfg ([metadata] name, [options]
 * install_requires / python_requires, [options.extras_require]), read the way setuptools
 * reads it. setup.py is never executed: it only tells us the project is a package.
 */
import { pythonMinorsOfClassifiers } from "./pyproject.ts";
import { DhtError, ExitCode } from "../errors.ts";
import { parseIni } from "../registries/pip-conf.ts";
import { parseRequirement, Pep508Error, type Requirement } from "./pep508.ts";

export interface SetupCfgFacts {
  name?: string;
  requiresPython?: string;
  pythonClassifiers?: string[];
  dependencies: Requirement[];
  optional: Record<string, Requirement[]>;
  /** `install_requires = file: requirements.txt` */
  requirementFiles: string[];
  /** `[options.extras_require] extra = file: requirements-extra.txt`: extra → files. */
  optionalFiles: Record<string, string[]>;
}

/**
 * setuptools' list-semi: one item per line when the value spans lines, else ";"-separated
 * (which is why a marker on a one-line value is a setuptools pitfall); "#" lines dropped.
 */
export function splitSetuptoolsList(value: string): string[] {
  const items = value.includes("\n") ? value.split("\n") : value.split(";");
  return items.map((s) => s.trim()).filter((s) => s && !s.startsWith("#"));
}

export function readSetupCfg(text: string, file = "setup.cfg"): SetupCfgFacts {
  const ini = parseIni(text, file);
  const facts: SetupCfgFacts = { dependencies: [], optional: {}, requirementFiles: [], optionalFiles: {} };
  const meta = ini.metadata ?? {};
  if (meta.name) facts.name = meta.name.value;
  const options = ini.options ?? {};
  if (options["python-requires"]) facts.requiresPython = options["python-requires"].value;
  if (meta.classifiers) {
    const minors = pythonMinorsOfClassifiers(meta.classifiers.value);
    if (minors.length) facts.pythonClassifiers = minors;
  }
  const parseList = (entry: { value: string; line: number }, files: string[]): Requirement[] => {
    const fileRef = /^file:\s*(.+)$/.exec(entry.value.trim());
    if (fileRef) {
      files.push(...fileRef[1]!.split(",").map((f) => f.trim()).filter(Boolean));
      return [];
    }
    // Continuation lines sit below the key: count them to give each requirement its own line.
    return splitSetuptoolsList(entry.value).map((item) => {
      const idx = entry.value.split("\n").findIndex((l) => l.trim() === item);
      const origin = `${file}:${entry.line + Math.max(0, idx)}`;
      try {
        return parseRequirement(item, origin);
      } catch (e) {
        if (e instanceof Pep508Error) {
          throw new DhtError(ExitCode.usage, `${origin}: invalid requirement "${item}": ${e.message}`, {
            subject: origin,
            hint: "one PEP 508 requirement per indented line under install_requires =",
          });
        }
        throw e;
      }
    });
  };
  if (options["install-requires"]) facts.dependencies = parseList(options["install-requires"], facts.requirementFiles);
  for (const [extra, entry] of Object.entries(ini["options.extras-require"] ?? ini["options.extras_require"] ?? {})) {
    const files: string[] = [];
    facts.optional[extra] = parseList(entry, files);
    if (files.length) facts.optionalFiles[extra] = files;
  }
  return facts;
}
