import { describe, expect, test } from "bun:test";
import { evaluateMarker, formatRequirement, normalizeName, parseMarker, parseRequirement, Pep508Error } from "../../src/project/pep508.ts";

const linux311 = {
  python_version: "3.11",
  python_full_version: "3.11.7",
  sys_platform: "linux",
  os_name: "posix",
  platform_system: "Linux",
  platform_machine: "x86_64",
  platform_python_implementation: "CPython",
  implementation_name: "cpython",
};

describe("PEP 508 parsing", () => {
  test("name, extras, specifiers, marker and URL are separated", () => {
    expect(parseRequirement('Foo.Bar[Baz , qux] (>=1.0, !=1.3.*) ; python_version >= "3.8"')).toMatchObject({
      name: "Foo.Bar",
      normalizedName: "foo-bar",
      extras: ["Baz", "qux"],
      specifier: ">=1.0,!=1.3.*",
      marker: 'python_version >= "3.8"',
    });
    expect(parseRequirement("pip @ https://github.com/pypa/pip/archive/22.0.2.zip ; sys_platform == 'linux'")).toMatchObject({
      url: "https://github.com/pypa/pip/archive/22.0.2.zip",
      marker: 'sys_platform == "linux"',
    });
  });
  test("legacy dotted marker names are accepted and normalised", () => {
    expect(parseRequirement("x; os.name == 'nt'").marker).toBe('os_name == "nt"');
  });
  test("errors carry the column where reading stopped", () => {
    try {
      parseRequirement("requests >= 2.0 garbage");
      throw new Error("no error");
    } catch (e) {
      expect(e).toBeInstanceOf(Pep508Error);
      expect((e as Pep508Error).column).toBe(16);
      expect((e as Pep508Error).message).toContain('unexpected text "garbage"');
    }
  });
  test("formatting gives back a string installers accept", () => {
    for (const s of ["a", "a[x,y]>=1,<2", 'a; python_version < "3.9"', "a @ https://h/a-1.whl", 'a[x] @ https://h/a-1.whl ; os_name == "nt"']) {
      expect(formatRequirement(parseRequirement(s))).toBe(s);
    }
  });
  test("PEP 503 normalisation", () => {
    expect(normalizeName("Django_REST.framework--x")).toBe("django-rest-framework-x");
  });
});

describe("marker evaluation", () => {
  const cases: Array<[string, boolean]> = [
    ['python_version >= "3.8"', true],
    ['python_version < "3.11"', false],
    ['python_version == "3.11.*"', true],
    ['python_full_version >= "3.11.7"', true],
    ['python_version ~= "3.10"', true],
    ['sys_platform == "win32"', false],
    ['sys_platform != "win32" and platform_machine == "x86_64"', true],
    ['os_name == "nt" or (sys_platform == "linux" and implementation_name == "cpython")', true],
    ['"linux" in sys_platform', true],
    ['platform_machine not in "arm64 aarch64"', true],
    ['extra == "Test_Extra"', true],
  ];
  for (const [marker, expected] of cases) {
    test(`${marker} → ${expected} on CPython 3.11 Linux x86_64`, () => {
      expect(evaluateMarker(marker, { ...linux311, extra: "test-extra" })).toBe(expected);
    });
  }
  test("and binds tighter than or; parentheses survive formatting", () => {
    expect(parseRequirement('x; (os_name == "nt" or os_name == "posix") and python_version > "3"').marker).toBe('(os_name == "nt" or os_name == "posix") and python_version > "3"');
    expect(evaluateMarker(parseMarker('os_name == "nt" and python_version > "3" or os_name == "posix"'), linux311)).toBe(true);
  });
});

test("a marker glued to a URL (no space before ';') is an error, as in packaging", () => {
  expect(() => parseRequirement("pkg @ https://h/pkg-1.0.whl;python_version>'3'")).toThrow(/needs whitespace before ";"/);
});
