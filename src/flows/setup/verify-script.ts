/**
 * The Python snippet that checks the installed distributions import. Import names come from
 * each distribution's own metadata: top_level.txt when present, otherwise the top-level
 * entries of RECORD (dist-info) or installed-files.txt (egg-info), and for editable installs
 * the packages the .pth / setuptools finder points at. Never guessed from the distribution
 * name (PyYAML imports as yaml, python-dateutil as dateutil). Reads names from stdin and
 * answers each with one line: REPORT_MARKER + JSON (src/flows/setup/import-check.ts drives it).
 *
 * It runs on every Python dhtl can choose, 2.7 and 3.6 included: no f-strings, no
 * importlib.metadata (3.8+; the importlib_metadata backport is rarely installed), no
 * str.isidentifier (3.x), io.open for encodings, and stdin read line by line (Python 2's
 * `for line in sys.stdin` reads ahead and would wait for names that come only after its
 * answer). The *.dist-info / *.egg-info directories on sys.path are read directly, first
 * match wins, as importlib.metadata would choose.
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
import sys, json, os, re, io
SKIP = set(["test", "tests", "testing", "docs", "doc", "examples", "example", "benchmarks", "setup", "conftest", "noxfile", "tasks"])
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
def norm(text):
    return re.sub(r"[-_.]+", "_", text).lower()
def read(path):
    try:
        with io.open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except (IOError, OSError):
        return None
def meta_file(full):
    if full.endswith(".dist-info"):
        return os.path.join(full, "METADATA")
    return os.path.join(full, "PKG-INFO") if os.path.isdir(full) else full
def meta_name(full):
    text = read(meta_file(full)) or ""
    for line in text.splitlines():
        if not line.strip():
            break
        if line.lower().startswith("name:"):
            return line.split(":", 1)[1].strip()
    return None
def metadata_dirs():
    for base in sys.path:
        base = base or os.curdir
        try:
            entries = sorted(os.listdir(base))
        except (IOError, OSError):
            continue
        for entry in entries:
            if entry.endswith((".dist-info", ".egg-info")):
                yield base, entry
def find_dist(name):
    # The directory name starts with the escaped project name (PEP 427 / setuptools' to_filename):
    # a prefix match is checked against the metadata's Name; a full scan only when none matches.
    want = norm(name)
    candidates = list(metadata_dirs())
    for base, entry in candidates:
        stem = entry[: -len(".dist-info")] if entry.endswith(".dist-info") else entry[: -len(".egg-info")]
        if norm(stem.split("-")[0]) == want:
            full = os.path.join(base, entry)
            found = meta_name(full)
            if found is None or norm(found) == want:
                return base, full
    for base, entry in candidates:
        full = os.path.join(base, entry)
        found = meta_name(full)
        if found is not None and norm(found) == want:
            return base, full
    return None
def files_of(base, full):
    # Paths relative to base, "/"-separated.
    out = []
    if full.endswith(".dist-info"):
        for line in (read(os.path.join(full, "RECORD")) or "").splitlines():
            path = line.rsplit(",", 2)[0].strip().strip('"') if line.strip() else ""
            if path:
                out.append(path)
    elif os.path.isdir(full):
        for line in (read(os.path.join(full, "installed-files.txt")) or "").splitlines():
            line = line.strip()
            if line:
                rel = os.path.relpath(os.path.normpath(os.path.join(full, line)), base)
                out.append(rel.replace(os.sep, "/"))
    return out
def editable_tops(base, files):
    tops = set()
    for rel in files:
        name = rel.split("/")[-1]
        loc = os.path.join(base, rel)
        if name.endswith(".pth"):
            for line in (read(loc) or "").splitlines():
                line = line.strip()
                if not line or line.startswith(("#", "import ")) or not os.path.isdir(line):
                    continue
                for entry in os.listdir(line):
                    full = os.path.join(line, entry)
                    if os.path.isdir(full) and os.path.exists(os.path.join(full, "__init__.py")):
                        tops.add(entry)
        elif name.startswith("__editable__") and name.endswith("_finder.py"):
            m = re.search(r"MAPPING\s*(?::[^=]*)?=\s*(\{[^}]*\})", read(loc) or "")
            if m:
                import ast
                try:
                    tops.update(ast.literal_eval(m.group(1)).keys())
                except Exception:
                    pass
    return tops
def top_levels(base, full):
    text = read(os.path.join(full, "top_level.txt")) if os.path.isdir(full) else None
    if text:
        return set(l.strip().replace("/", ".").split(".")[0] for l in text.splitlines() if l.strip())
    files = files_of(base, full)
    tops = set()
    for rel in files:
        parts = rel.split("/")
        if not parts or parts[0] in ("..", "__pycache__", ""):
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
    return tops or editable_tops(base, files)
def describe(e):
    try:
        return "%s: %s" % (type(e).__name__, e)
    except Exception:
        return type(e).__name__
def check(name):
    # The module named like the distribution (black for black, pytest for pytest) must
    # import. Other top-level modules may need an extra that was not asked for (blackd needs
    # black[d]): their failures are warnings, unless nothing of the distribution imports.
    out = {"checked": [], "failed": [], "missing": [], "warned": []}
    found = find_dist(name)
    if found is None:
        out["missing"].append(name)
        return out
    mods = sorted(str(t) for t in top_levels(found[0], found[1]) if IDENT.match(t) and not t.startswith("_") and t not in SKIP)
    primary = [m for m in mods if norm(m) == norm(name)]
    problems = []
    for mod in mods:
        try:
            __import__(mod)
            out["checked"].append([name, mod])
        except BaseException as e:
            problems.append([name, mod, describe(e)])
    for p in problems:
        essential = p[1] in primary or not out["checked"]
        out["failed" if essential else "warned"].append(p)
    return out
# One distribution name per line on stdin, one marked JSON line back for each: the caller
# runs several of these side by side and hands each the next name as soon as it is free.
while True:
    line = sys.stdin.readline()
    if not line:
        break
    name = line.strip()
    if name:
        sys.stdout.write("\x1eDHT-IMPORT " + json.dumps(check(name)) + "\n")
        sys.stdout.flush()
`;
