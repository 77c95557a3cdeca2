import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { logicalLines, parseRequirementsFile, nameFromArchive, expandEnvVars } from "../../src/project/requirements.ts";
import { DhtError, ExitCode } from "../../src/errors.ts";

/** Write files into a fresh directory and parse the first one. */
async function parse(files: Record<string, string>, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "dhtl-req-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const first = Object.keys(files)[0]!;
  return { dir, result: await parseRequirementsFile(join(dir, first), { env, cwd: dir }) };
}

async function parseError(files: Record<string, string>, env: Record<string, string> = {}): Promise<DhtError> {
  try {
    await parse(files, env);
  } catch (e) {
    if (e instanceof DhtError) return e;
    throw e;
  }
  throw new Error("expected a DhtError");
}

/** Real-world requirement lines (from public projects' requirements files) and what they mean. */
const LINES: Array<[string, Record<string, unknown>]> = [
  ["requests", { name: "requests", specifier: "", extras: [] }],
  ["Django>=4.2,<5.0", { name: "Django", normalizedName: "django", specifier: ">=4.2,<5.0" }],
  ["django >= 4.2 , < 5.0", { specifier: ">=4.2,<5.0" }],
  ["celery[redis,msgpack]==5.3.6", { name: "celery", extras: ["redis", "msgpack"], specifier: "==5.3.6" }],
  ["uvicorn[standard]~=0.29.0", { extras: ["standard"], specifier: "~=0.29.0" }],
  ["zope.interface>=6", { name: "zope.interface", normalizedName: "zope-interface" }],
  ["Flask_SQLAlchemy==3.1.1", { normalizedName: "flask-sqlalchemy" }],
  ["numpy==1.26.*", { specifier: "==1.26.*" }],
  ["pywin32>=306; sys_platform == 'win32'", { name: "pywin32", marker: 'sys_platform == "win32"' }],
  ['tomli>=1.1.0; python_version < "3.11"', { marker: 'python_version < "3.11"' }],
  ['importlib-metadata>=4.6; python_version<"3.10" and platform_python_implementation == "CPython"', { marker: 'python_version < "3.10" and platform_python_implementation == "CPython"' }],
  ['colorama; os_name == "nt" or (sys_platform == "cygwin" and python_version >= "3")', { name: "colorama" }],
  ["typing_extensions (>=4.0)", { specifier: ">=4.0" }],
  ["pytz===2024.1", { specifier: "===2024.1" }],
  ["torch==2.2.1+cpu", { specifier: "==2.2.1+cpu" }],
  ["black==24.1.0a1", { specifier: "==24.1.0a1" }],
  ["setuptools>=69.0.0.post1", { specifier: ">=69.0.0.post1" }],
  ["pkg @ https://files.example.com/pkg-1.0-py3-none-any.whl", { name: "pkg", url: "https://files.example.com/pkg-1.0-py3-none-any.whl" }],
  ['pkg[extra] @ git+https://github.com/org/pkg.git@v1.2.0 ; python_version >= "3.9"', { extras: ["extra"], url: "git+https://github.com/org/pkg.git@v1.2.0", marker: 'python_version >= "3.9"' }],
  ["git+https://github.com/psf/black@24.1.0#egg=black", { name: "black", url: "git+https://github.com/psf/black@24.1.0#egg=black" }],
  ["git+ssh://git@github.com/org/private.git@main#egg=private-lib", { name: "private-lib" }],
  ["git+https://github.com/org/mono.git@abc123#egg=sub&subdirectory=packages/sub", { name: "sub" }],
  ["hg+https://hg.example.com/repo#egg=repo", { name: "repo" }],
  ["https://files.example.com/packages/six-1.16.0-py2.py3-none-any.whl", { name: "six" }],
  ["https://example.com/archive/mypkg-2.0.tar.gz#sha256=" + "a".repeat(64), { name: "mypkg" }],
  ["file:///opt/wheels/attrs-23.2.0-py3-none-any.whl", { name: "attrs", path: "/opt/wheels/attrs-23.2.0-py3-none-any.whl" }],
  ["./vendor/mylib-0.1.tar.gz", { name: "mylib" }],
  ["requests==2.31.0 --hash=sha256:" + "0".repeat(64), { hashes: ["sha256:" + "0".repeat(64)] }],
  ["pkg==1.0 --hash=sha256:" + "A".repeat(64) + " --hash=sha512:" + "b".repeat(128), { hashes: ["sha256:" + "a".repeat(64), "sha512:" + "b".repeat(128)] }],
  ["pkg==1.0 --config-settings=--build-option=--fast", { installOptions: ["--config-settings=--build-option=--fast"] }],
  ["-e git+https://github.com/pallets/click.git@8.1.7#egg=click", { name: "click", editable: true }],
  ["--editable=git+https://github.com/org/x.git#egg=x", { name: "x", editable: true }],
];

describe("requirement lines (real-world table)", () => {
  for (const [line, expected] of LINES) {
    test(`reads ${JSON.stringify(line.length > 70 ? line.slice(0, 67) + "..." : line)}`, async () => {
      const { result } = await parse({ "requirements.txt": line + "\n" });
      expect(result.requirements).toHaveLength(1);
      expect(result.requirements[0]).toMatchObject(expected);
      expect(result.requirements[0]!.origin).toBe("requirements.txt:1");
    });
  }

  test("local paths: -e . and ./pkg[extra] are resolved against the project directory", async () => {
    const { dir, result } = await parse({ "requirements.txt": "-e .\n-e ./libs/core[dev]\n../sibling\n" });
    expect(result.requirements.map((r) => r.path)).toEqual([dir, join(dir, "libs/core"), join(dir, "../sibling")]);
    expect(result.requirements[1]!.extras).toEqual(["dev"]);
    expect(result.requirements[0]!.editable).toBe(true);
    expect(result.requirements[2]!.editable).toBeUndefined();
  });

  test("file: URLs, absolute and relative", async () => {
    const { dir, result } = await parse({ "requirements.txt": "file:./vendor/pkg-1.0.tar.gz\n-e file:libs/core#egg=core\n" });
    expect(result.requirements[0]).toMatchObject({ name: "pkg", path: join(dir, "vendor/pkg-1.0.tar.gz") });
    expect(result.requirements[1]).toMatchObject({ name: "core", editable: true, path: join(dir, "libs/core") });
  });

  test("a marker after a local path is split off with ';'", async () => {
    const { result } = await parse({ "requirements.txt": './pkg; sys_platform == "linux"\n' });
    expect(result.requirements[0]).toMatchObject({ marker: 'sys_platform == "linux"' });
  });
});

describe("requirements file options", () => {
  test("index options, find-links, trusted hosts, --pre and binary options are collected with their origin", async () => {
    const { result } = await parse({
      "requirements.txt": [
        "-i https://mirror.example.com/simple",
        "--extra-index-url https://download.pytorch.org/whl/cpu",
        "--extra-index-url=https://extra.example.com/simple",
        "-f https://download.example.com/wheels.html",
        "--find-links=/opt/wheels",
        "--trusted-host mirror.example.com",
        "--pre",
        "--only-binary :all:",
        "--no-binary=psycopg2,lxml",
        "--prefer-binary",
        "--require-hashes",
        "flask",
      ].join("\n"),
    });
    const o = result.options;
    expect(o.indexUrl).toBe("https://mirror.example.com/simple");
    expect(o.extraIndexUrls).toEqual(["https://download.pytorch.org/whl/cpu", "https://extra.example.com/simple"]);
    expect(o.findLinks).toEqual(["https://download.example.com/wheels.html", "/opt/wheels"]);
    expect(o.trustedHosts).toEqual(["mirror.example.com"]);
    expect(o).toMatchObject({ pre: true, preferBinary: true, requireHashes: true, onlyBinary: [":all:"], noBinary: ["psycopg2", "lxml"] });
    expect(o.origins).toMatchObject({ indexUrl: "requirements.txt:1", "extraIndexUrls.1": "requirements.txt:3", "findLinks.1": "requirements.txt:5", pre: "requirements.txt:7" });
    expect(result.requirements.map((r) => r.name)).toEqual(["flask"]);
  });

  test("short options with attached values (-rfile, -ihttps://...) are understood", async () => {
    const { result } = await parse({ "a.txt": "-rb.txt\n-ihttps://m.example.com/simple\n", "b.txt": "six\n" });
    expect(result.requirements[0]!.name).toBe("six");
    expect(result.options.indexUrl).toBe("https://m.example.com/simple");
  });
});

describe("comments, continuations and environment variables", () => {
  test("a '#' starts a comment only at line start or after whitespace; URL fragments survive", () => {
    const lines = logicalLines("# full line\nflask  # why we need it\ngit+https://h/x.git#egg=x\n   # indented comment\n");
    expect(lines).toEqual([
      { line: 2, text: "flask" },
      { line: 3, text: "git+https://h/x.git#egg=x" },
    ]);
  });

  test("backslash continuations join lines and keep the first line's number", () => {
    const lines = logicalLines("a==1 \\\n  --hash=sha256:x \\\n  --hash=sha256:y\nb\n");
    expect(lines).toEqual([
      { line: 1, text: "a==1   --hash=sha256:x   --hash=sha256:y" },
      { line: 4, text: "b" },
    ]);
  });

  test("a comment line ending in a backslash does not swallow the next line", () => {
    expect(logicalLines("# note \\\nflask\n").map((l) => l.text)).toEqual(["flask"]);
  });

  test("${VAR} is expanded as pip does (upper-case names only, unset ones left as written with a warning)", async () => {
    const { result } = await parse({ "requirements.txt": "pkg==${PKG_VERSION}\n--extra-index-url https://${HOST}/simple\nother @ https://h/${lower}/o-1.0.tar.gz\n" }, { PKG_VERSION: "1.2.3" });
    expect(result.requirements[0]!.specifier).toBe("==1.2.3");
    expect(result.options.extraIndexUrls).toEqual(["https://${HOST}/simple"]);
    expect(result.requirements[1]!.url).toBe("https://h/${lower}/o-1.0.tar.gz");
    expect(result.warnings).toEqual(["requirements.txt:2: ${HOST} is not set; the line is used as written"]);
  });

  test("credentials in a URL's user info stay as ${VAR} references (never expanded into parsed data)", () => {
    const out = expandEnvVars("-i https://${USER_X}:${TOKEN_X}@pypi.corp/${PATH_X}/simple", { USER_X: "alice", TOKEN_X: "s3cret", PATH_X: "api" });
    expect(out).toBe("-i https://${USER_X}:${TOKEN_X}@pypi.corp/api/simple");
    expect(out).not.toContain("s3cret");
  });
});

describe("includes", () => {
  test("-r and -c paths are relative to the including file; constraints are kept apart", async () => {
    const { result } = await parse({
      "requirements/dev.txt": "-r base.txt\n-c ../constraints/pins.txt\npytest\n",
      "requirements/base.txt": "flask\n",
      "constraints/pins.txt": "flask==3.0.2\n-r more-pins.txt\n",
      "constraints/more-pins.txt": "werkzeug==3.0.1\n",
    });
    expect(result.requirements.map((r) => `${r.name}@${r.origin}`)).toEqual(["flask@requirements/base.txt:1", "pytest@requirements/dev.txt:3"]);
    // A file included from a constraints file is a constraints file too (pip does the same).
    expect(result.constraints.map((r) => `${r.name}${r.specifier}@${r.origin}`)).toEqual(["flask==3.0.2@constraints/pins.txt:1", "werkzeug==3.0.1@constraints/more-pins.txt:1"]);
    expect(result.files).toHaveLength(4);
  });

  test("a file included twice (diamond) is read once", async () => {
    const { result } = await parse({ "a.txt": "-r b.txt\n-r c.txt\n", "b.txt": "-r common.txt\n", "c.txt": "-r common.txt\n", "common.txt": "six\n" });
    expect(result.requirements.map((r) => r.name)).toEqual(["six"]);
  });

  test("an include cycle is an error showing the whole chain", async () => {
    const e = await parseError({ "a.txt": "six\n-r sub/b.txt\n", "sub/b.txt": "-r ../c.txt\n", "c.txt": "\n\n-r a.txt\n" });
    expect(e.code).toBe(ExitCode.usage);
    expect(e.message).toContain("a.txt:2 -> sub/b.txt:1 -> c.txt:3 -> a.txt");
    expect(e.subject).toBe("c.txt:3");
  });

  test("a missing include names the line that includes it", async () => {
    const e = await parseError({ "requirements.txt": "flask\n-r nope.txt\n" });
    expect(e.subject).toBe("requirements.txt:2");
    expect(e.message).toContain("nope.txt does not exist");
  });

  test("a remote -r URL is refused with a way out", async () => {
    const e = await parseError({ "requirements.txt": "-r https://example.com/reqs.txt\n" });
    expect(e.subject).toBe("requirements.txt:1");
    expect(e.message).toContain("does not fetch requirement files over the network");
  });
});

describe("unreadable lines are errors naming file:line (exit 2), never skipped", () => {
  const BAD: Array<[string, string]> = [
    ["flask>=", "expected a version"],
    ["flask[extra", "extras"],
    ["flask; python_versio < '3'", 'unknown marker variable "python_versio"'],
    ["flask; python_version <", "expected a marker variable or a quoted string"],
    ["flask===", "expected a version"],
    ["flask>=1.0.*", "wildcard"],
    ["flask~=1", "compatible-release"],
    ["flask==1.0 --no-deps", "unknown option --no-deps"],
    ["--index-url", "needs a value"],
    ["flask --index-url https://x", "cannot follow a requirement"],
    ["pkg==1 --hash=md5:abc", "--hash"],
    ["pkg==1 --hash=sha256:abcd", "64 hex digits"],
    ["-e flask", "-e needs a local path or a VCS URL"],
    ["flask @ not-a-url", "is not a URL"],
    ["git+foo://x#egg=y", "not a VCS URL pip understands"],
    ["pkg #ok\n'quoted", "expected a package name"],
  ];
  for (const [line, message] of BAD) {
    test(`${JSON.stringify(line)} → ${message}`, async () => {
      const e = await parseError({ "requirements.txt": `ok-package\n${line}\n` });
      expect(e.code).toBe(ExitCode.usage);
      expect(e.subject).toMatch(/^requirements\.txt:\d+$/);
      expect(e.message).toContain(message);
    });
  }
  test("a missing top-level file is a usage error naming it", async () => {
    await expect(parseRequirementsFile("/nonexistent/requirements.txt")).rejects.toMatchObject({ code: ExitCode.usage, subject: "/nonexistent/requirements.txt" });
  });
});

test("project names come out of wheel and sdist file names", () => {
  expect(nameFromArchive("python_dateutil-2.9.0.post0-py2.py3-none-any.whl")).toBe("python_dateutil");
  expect(nameFromArchive("numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")).toBe("numpy");
  expect(nameFromArchive("zope.interface-6.2.tar.gz")).toBe("zope.interface");
  expect(nameFromArchive("https://h/p/pkg-1.0.zip#md5=x")).toBe("pkg");
  expect(nameFromArchive("README.md")).toBeUndefined();
});
