import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildFailureAdvice, findFailingPackage, rustupCommands, swapForBinary, binaryAlternativeFor } from "../../src/packages/binary-alternatives.ts";
import { formatRequirement, parseRequirement } from "../../src/project/pep508.ts";
import table from "../../src/data/binary-alternatives.json" with { type: "json" };
import { toolchainFor } from "../../src/system/toolchains.ts";

const log = (name: string) => readFileSync(join(import.meta.dir, "..", "fixtures", "build-failures", name), "utf8");
const reqs = (...lines: string[]) => lines.map((l, i) => parseRequirement(l, `requirements.txt:${i + 1}`));

describe("swapForBinary", () => {
  test("psycopg2 becomes psycopg2-binary keeping version, extras-free marker and origin; the swap says why", () => {
    const { requirements, swaps } = swapForBinary(reqs('psycopg2>=2.9,<3; sys_platform == "linux"', "flask"));
    expect(requirements.map(formatRequirement)).toEqual(['psycopg2-binary>=2.9,<3; sys_platform == "linux"', "flask"]);
    expect(requirements[0]!.origin).toBe("requirements.txt:1");
    expect(swaps).toHaveLength(1);
    expect(swaps[0]!.from.name).toBe("psycopg2");
    expect(swaps[0]!.why).toContain("libpq");
  });
  test("psycopg gains the [binary] extra; a requirement that already has it is left alone", () => {
    expect(swapForBinary(reqs("psycopg[pool]>=3.1")).requirements.map(formatRequirement)).toEqual(["psycopg[pool,binary]>=3.1"]);
    expect(swapForBinary(reqs("psycopg[binary]>=3.1")).swaps).toHaveLength(0);
  });
  test("a stand-in with its own version numbers drops the constraint and says so", () => {
    const { requirements, swaps } = swapForBinary(reqs("pycrypto==2.6.1"));
    expect(formatRequirement(requirements[0]!)).toBe("pycryptodome");
    expect(swaps[0]!.why).toContain('"==2.6.1" was not carried over');
  });
  test("names are matched normalised (Psycopg2, cx_Oracle)", () => {
    expect(swapForBinary(reqs("Psycopg2==2.9.9")).requirements[0]!.name).toBe("psycopg2-binary");
    expect(swapForBinary(reqs("cx_Oracle")).notes[0]!.alternative).toBe("oracledb");
  });
  test("packages whose alternative has another API are never swapped, only noted", () => {
    const { requirements, swaps, notes } = swapForBinary(reqs("mysqlclient==2.2.4"));
    expect(formatRequirement(requirements[0]!)).toBe("mysqlclient==2.2.4");
    expect(swaps).toHaveLength(0);
    expect(notes[0]).toMatchObject({ alternative: "PyMySQL" });
  });
  test("direct references (URL, path) are the user's exact choice and are left alone", () => {
    const url = parseRequirement("psycopg2 @ https://example.com/psycopg2-2.9.9.tar.gz");
    expect(swapForBinary([url, { ...parseRequirement("psycopg2"), path: "/src/psycopg2" }]).swaps).toHaveLength(0);
  });
  test("every swap target differs from its source and every entry has a reason", () => {
    for (const e of table.packages as Array<Record<string, unknown>>) {
      expect(typeof e.why === "string" && (e.why as string).length > 20).toBe(true);
      if (e.kind === "swap") expect(e.binary !== e.name || Array.isArray(e.addExtras)).toBe(true);
    }
    expect(binaryAlternativeFor("requests")).toBeUndefined();
  });
});

describe("failing package in real installer output", () => {
  test("uv: Failed to build `psycopg2==2.9.9`", () => {
    expect(findFailingPackage(log("uv-psycopg2-no-pg-config.log"))).toEqual({ name: "psycopg2", version: "2.9.9" });
  });
  test("pip failing while getting build requirements: the package being collected", () => {
    expect(findFailingPackage(log("pip-psycopg2-no-pg-config.log"))).toEqual({ name: "psycopg2", version: "2.9.9" });
  });
  test("pip: Failed building wheel for psutil", () => {
    expect(findFailingPackage(log("pip-psutil-no-gcc.log"))).toEqual({ name: "psutil", version: "6.1.1" });
  });
  test("uv and pip output shapes of other versions", () => {
    expect(findFailingPackage("error: Failed to download and build `lxml==5.1.0`\n  Caused by: Build backend failed")).toEqual({ name: "lxml", version: "5.1.0" });
    expect(findFailingPackage("  × Failed to build `mysqlclient==2.2.4`")).toEqual({ name: "mysqlclient", version: "2.2.4" });
    expect(findFailingPackage("ERROR: Failed to build installable wheels for some pyproject.toml based projects (lxml)")).toEqual({ name: "lxml" });
    expect(findFailingPackage("Resolved 3 packages")).toBeUndefined();
  });
});

describe("buildFailureAdvice", () => {
  test("psycopg2 without pg_config on Debian: libpq-dev with the apt command, and the binary stand-in", () => {
    const a = buildFailureAdvice(log("uv-psycopg2-no-pg-config.log"), { os: "linux", packageManagers: ["apt"], root: false })!;
    expect(a).toMatchObject({ package: "psycopg2", version: "2.9.9", cause: "missing-system-library", needsRust: false });
    expect(a.systemPackages).toEqual({ manager: "apt", packages: ["libpq-dev"], command: "sudo apt-get install -y libpq-dev" });
    expect(a.otherManagers).toMatchObject({ dnf: ["libpq-devel"], apk: ["libpq-dev"], brew: ["libpq"] });
    expect(a.alternative).toMatchObject({ kind: "swap", name: "psycopg2-binary" });
    expect(a.evidence).toBe("Error: pg_config executable not found.");
    const text = a.lines.join("\n");
    expect(text).toContain("psycopg2 2.9.9 failed to build from source");
    expect(text).toContain("--prefer-binary");
  });
  test("the same failure from pip on Alpine as root: apk without sudo", () => {
    const a = buildFailureAdvice(log("pip-psycopg2-no-pg-config.log"), { os: "linux", packageManagers: ["apk"], root: true })!;
    expect(a.systemPackages?.command).toBe("apk add libpq-dev");
  });
  test("bcrypt without Rust: the rustup route into DHT_HOME/tools/rust, no root, no profile edits", () => {
    const a = buildFailureAdvice(log("uv-bcrypt-no-rust.log"), { os: "linux", packageManagers: ["apt"], dhtHome: "/home/u/.dht" })!;
    expect(a).toMatchObject({ package: "bcrypt", version: "4.2.1", cause: "missing-rust", needsRust: true });
    expect(a.rustInstall).toEqual([
      'export RUSTUP_HOME="/home/u/.dht/tools/rust/rustup" CARGO_HOME="/home/u/.dht/tools/rust/cargo"',
      "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs -o rustup-init.sh",
      "sh rustup-init.sh -y --no-modify-path --profile minimal",
      'export PATH="/home/u/.dht/tools/rust/cargo/bin:$PATH"',
    ]);
    expect(a.lines.join("\n")).toContain("sh rustup-init.sh -y --no-modify-path");
  });
  test("psutil without gcc: the compiler toolchain for the machine's package manager", () => {
    const a = buildFailureAdvice(log("pip-psutil-no-gcc.log"), { os: "linux", packageManagers: ["dnf"], root: false })!;
    expect(a.cause).toBe("missing-compiler");
    expect(a.systemPackages).toEqual({ manager: "dnf", packages: ["gcc", "gcc-c++", "python3-devel"], command: "sudo dnf install -y gcc gcc-c++ python3-devel" });
  });
  test("lxml, Pillow and cryptography map to their libraries per distro family", () => {
    const lxml = buildFailureAdvice("error: Failed to build `lxml==5.1.0`\nfatal error: libxml/xmlversion.h: No such file or directory", { packageManagers: ["apt"] })!;
    expect(lxml.systemPackages?.packages).toEqual(["libxml2-dev", "libxslt1-dev"]);
    expect(lxml.otherManagers.dnf).toEqual(["libxml2-devel", "libxslt-devel"]);
    const pillow = buildFailureAdvice("ERROR: Failed building wheel for Pillow\nThe headers or library files could not be found for jpeg,", { packageManagers: ["pacman"], root: true })!;
    expect(pillow.systemPackages?.command).toBe("pacman -S --needed libjpeg-turbo zlib");
    const crypto = buildFailureAdvice("error: Failed to build `cryptography==42.0.5`", { packageManagers: ["brew"], os: "darwin" })!;
    expect(crypto.needsRust).toBe(true);
    expect(crypto.systemPackages?.command).toBe("brew install openssl pkg-config");
  });
  test("Windows gets the PowerShell rustup route", () => {
    expect(rustupCommands("C:\\Users\\u\\.dht", "windows")[2]).toBe(".\\rustup-init.exe -y --no-modify-path --profile minimal");
  });
  test("output that is not a build failure gets no advice", () => {
    expect(buildFailureAdvice("error: No solution found when resolving dependencies")).toBeUndefined();
  });
});

describe("the real cause is read first", () => {
  test("a Cargo.toml TOML error under maturin is a broken manifest, not a missing Rust (real uv output)", () => {
    const a = buildFailureAdvice(log("uv-maturin-cargo-toml-error.log"), { os: "linux", packageManagers: ["apt"] })!;
    expect(a.cause).toBe("invalid-build-config");
    expect(a.needsRust).toBe(false);
    expect(a.rustInstall).toBeUndefined();
    expect(a.evidence).toContain("Failed to parse Cargo.toml");
    expect(a.lines[0]).toContain("its build configuration is invalid");
  });
  test("maturin going to download rustup-init (no cargo on PATH) means Rust is missing (real uv output)", () => {
    const a = buildFailureAdvice(log("uv-maturin-rustup-unreachable.log"), { os: "linux", packageManagers: ["apt"] })!;
    expect(a.cause).toBe("missing-rust");
    expect(a.package).toBe("rusty-add");
  });
  test("a Rust package (bcrypt) failing on a TOML error is not sent to rustup either", () => {
    const a = buildFailureAdvice("  × Failed to build `bcrypt==4.2.1`\n  💥 maturin failed\n    Caused by: TOML parse error at line 3, column 1", {})!;
    expect(a.cause).toBe("invalid-build-config");
    expect(a.needsRust).toBe(false);
  });
  test("a Rust that is too old, and a missing CMake", () => {
    expect(buildFailureAdvice("  × Failed to build `pydantic-core==2.27.1`\nerror: package `pyo3 v0.23.3` cannot be built because it requires rustc 1.63 or newer, while the currently active rustc version is 1.60.0", {})!.cause).toBe("rust-too-old");
    expect(buildFailureAdvice("  × Failed to build `dlib==19.24.6`\nRuntimeError: CMake must be installed to build dlib", {})!.cause).toBe("missing-cmake");
  });
});

describe("which toolchain a failed build gets (toolchainFor, real installer output)", () => {
  test("no CMake → cmake and ninja; no Rust (cargo missing, maturin's rustup download) → rust; no gcc → a C compiler", () => {
    expect(toolchainFor(log("uv-bcrypt-no-rust.log"))).toEqual(["rust"]);
    expect(toolchainFor(log("uv-maturin-rustup-unreachable.log"))).toEqual(["rust"]);
    expect(toolchainFor(log("pip-psutil-no-gcc.log"))).toEqual(["c-compiler"]);
    expect(toolchainFor("  × Failed to build `x==1`\n  CMake must be installed to build x")).toEqual(["cmake", "ninja"]);
  });
  test("a broken manifest or a missing library gets no toolchain (the cause is not a missing tool)", () => {
    expect(toolchainFor(log("uv-maturin-cargo-toml-error.log"))).toBeUndefined();
    expect(toolchainFor(log("uv-psycopg2-no-pg-config.log"))).toBeUndefined();
  });
});
