import { describe, expect, test } from "bun:test";
import { redactText, redactUrl } from "../../src/net/redact.ts";
import { PYTHON_BUILD_STANDALONE_PREFIX, pythonMirrorUrl } from "../../src/net/mirror.ts";

describe("redactUrl", () => {
  test("removes user:password", () => {
    expect(redactUrl("https://alice:s3cret@pypi.corp/simple/")).toBe("https://***@pypi.corp/simple/");
    expect(redactUrl("https://token123@pypi.corp/simple/")).toBe("https://***@pypi.corp/simple/");
  });
  test("masks secret query parameters and keeps the others byte for byte", () => {
    const out = redactUrl("https://s3.test/f.tar.gz?X-Amz-Date=20240101&X-Amz-Signature=abcdef&X-Amz-Credential=AKIA%2F1&v=1%2B2");
    expect(out).toBe("https://s3.test/f.tar.gz?X-Amz-Date=20240101&X-Amz-Signature=***&X-Amz-Credential=***&v=1%2B2");
    expect(redactUrl("https://h.test/x?token=abc&access_token=def&page=2")).toBe("https://h.test/x?token=***&access_token=***&page=2");
  });
  test("leaves clean URLs and plain paths untouched", () => {
    const clean = "https://github.com/astral-sh/python-build-standalone/releases/download/20240107/cpython-3.11.7%2B20240107.tar.gz";
    expect(redactUrl(clean)).toBe(clean);
    expect(redactUrl("/srv/mirror/a.tar.gz")).toBe("/srv/mirror/a.tar.gz");
  });
  test("masks credentials even in strings that are not valid URLs", () => {
    expect(redactUrl("http://bob:pw@[bad")).not.toContain("pw");
  });
  test("redactText cleans every URL inside a message", () => {
    const text = "fetch failed for https://u:p@a.test/x?token=t1. Also http://b.test/?sig=zz, done";
    const out = redactText(text);
    expect(out).toBe("fetch failed for https://***@a.test/x?token=***. Also http://b.test/?sig=***, done");
  });
});

describe("python mirror rewriting", () => {
  const asset = "20240107/cpython-3.11.7%2B20240107-x86_64-unknown-linux-gnu-install_only.tar.gz";
  const github = PYTHON_BUILD_STANDALONE_PREFIX + asset;
  test("DHT_PYTHON_MIRROR replaces the GitHub release prefix", () => {
    expect(pythonMirrorUrl(github, { DHT_PYTHON_MIRROR: "https://mirror.corp/pbs" })).toBe(`https://mirror.corp/pbs/${asset}`);
    expect(pythonMirrorUrl(github, { DHT_PYTHON_MIRROR: "https://mirror.corp/pbs/" })).toBe(`https://mirror.corp/pbs/${asset}`);
  });
  test("UV_PYTHON_INSTALL_MIRROR is honoured, DHT_PYTHON_MIRROR wins over it, the config comes last", () => {
    expect(pythonMirrorUrl(github, { UV_PYTHON_INSTALL_MIRROR: "https://uv.mirror" })).toBe(`https://uv.mirror/${asset}`);
    expect(pythonMirrorUrl(github, { UV_PYTHON_INSTALL_MIRROR: "https://uv.mirror", DHT_PYTHON_MIRROR: "https://dht.mirror" })).toBe(
      `https://dht.mirror/${asset}`,
    );
    expect(pythonMirrorUrl(github, {}, "https://config.mirror")).toBe(`https://config.mirror/${asset}`);
  });
  test("file:// mirrors and plain directories become file URLs", () => {
    expect(pythonMirrorUrl(github, { DHT_PYTHON_MIRROR: "file:///srv/pbs" })).toBe(`file:///srv/pbs/${asset}`);
    expect(pythonMirrorUrl(github, { DHT_PYTHON_MIRROR: "/srv/pbs" })).toBe(`file:///srv/pbs/${asset}`);
  });
  test("URLs outside python-build-standalone and unset mirrors are unchanged", () => {
    expect(pythonMirrorUrl("https://files.pythonhosted.org/x.whl", { DHT_PYTHON_MIRROR: "https://m" })).toBe("https://files.pythonhosted.org/x.whl");
    expect(pythonMirrorUrl(github, { DHT_PYTHON_MIRROR: "  " })).toBe(github);
  });
});
