/**
 * The Python snippet that checks the installed distributions import. Import names come from
 * each distribution's own metadata: top_level.txt when present, otherwise the top-level
 * entries of RECORD (packages and modules), and for editable installs the packages the
 * .pth / setuptools finder points at. Never guessed from the distribution name (PyYAML
 * imports as yaml, python-dateutil as dateutil). Reads names from stdin and answers each
 * with one line: REPORT_MARKER + JSON (src/flows/setup/import-check.ts drives it).
 */
/** What the import check found: [distribution, module] pairs, plus the error for failures. */
export interface ImportReport {
  checked: Array<[string, string]>;
  /** [distribution, module, error]: the distribution's own module, or everything of it, fails. */
  failed: Array<[string, string, string]>;
  /** [distribution, module, error]: a secondary module fails (usually it needs an extra). */
  warned: Array<[string, string, string]>;
  missing: string[];
}

/** Prefix of the check's own output lines: an imported module may print to stdout too. */
export const REPORT_MARKER = "\u001eDHT-IMPORT ";

export const IMPORT_CHECK_SCRIPT = String.raw`
import sys, json, os, re
try:
    from importlib import metadata
except ImportError:
    import importlib_metadata as metadata
SKIP = {"test", "tests", "testing", "docs", "doc", "examples", "example", "benchmarks", "setup", "conftest", "noxfile", "tasks"}
def editable_tops(dist):
    tops = set()
    for f in dist.files or []:
        name = f.name
        try:
            loc = str(f.locate())
        except Exception:
            continue
        if name.endswith(".pth"):
            try:
                lines = open(loc, encoding="utf-8").read().splitlines()
            except OSError:
                continue
            for line in lines:
                line = line.strip()
                if not line or line.startswith(("#", "import ")) or not os.path.isdir(line):
                    continue
                for entry in os.listdir(line):
                    full = os.path.join(line, entry)
                    if os.path.isdir(full) and os.path.exists(os.path.join(full, "__init__.py")):
                        tops.add(entry)
        elif name.startswith("__editable__") and name.endswith("_finder.py"):
            try:
                text = open(loc, encoding="utf-8").read()
            except OSError:
                continue
            m = re.search(r"MAPPING\s*(?::[^=]*)?=\s*(\{[^}]*\})", text)
            if m:
                import ast
                try:
                    tops.update(ast.literal_eval(m.group(1)).keys())
                except Exception:
                    pass
    return tops
def top_levels(dist):
    text = dist.read_text("top_level.txt")
    if text:
        return {l.strip().replace("/", ".").split(".")[0] for l in text.splitlines() if l.strip()}
    tops = set()
    for f in dist.files or []:
        parts = f.parts
        if not parts or parts[0] in ("..", "__pycache__"):
            continue
        first = parts[0]
        if first.endswith((".dist-info", ".egg-info", ".data")):
            continue
        if len(parts) == 1:
            if first.endswith(".py"):
                tops.add(first[:-3])
            elif first.endswith((".so", ".pyd")):
                tops.add(first.split(".")[0])
        else:
            tops.add(first)
    return tops or editable_tops(dist)
def norm(text):
    return re.sub(r"[-_.]+", "_", text).lower()
def check(name):
    # The module named like the distribution (black for black, pytest for pytest) must
    # import. Other top-level modules may need an extra that was not asked for (blackd needs
    # black[d]): their failures are warnings, unless nothing of the distribution imports.
    out = {"checked": [], "failed": [], "missing": [], "warned": []}
    try:
        dist = metadata.distribution(name)
    except Exception:
        out["missing"].append(name)
        return out
    mods = sorted(t for t in top_levels(dist) if t.isidentifier() and not t.startswith("_") and t not in SKIP)
    primary = [m for m in mods if norm(m) == norm(name)]
    problems = []
    for mod in mods:
        try:
            __import__(mod)
            out["checked"].append([name, mod])
        except BaseException as e:
            problems.append([name, mod, "%s: %s" % (type(e).__name__, e)])
    for p in problems:
        essential = p[1] in primary or not out["checked"]
        out["failed" if essential else "warned"].append(p)
    return out
# One distribution name per line on stdin, one marked JSON line back for each: the caller
# runs several of these side by side and hands each the next name as soon as it is free.
for line in sys.stdin:
    name = line.strip()
    if name:
        sys.stdout.write("\x1eDHT-IMPORT " + json.dumps(check(name)) + "\n")
        sys.stdout.flush()
`;
