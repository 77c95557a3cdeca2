import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { listFiles, normalizeProjectName, parseSimpleHtml, parseSimpleJson, projectUrl, splitCredentials } from "../../src/net/pypi-index.ts";
import { repoRoot } from "../helpers/cli.ts";
import { existingWheels, startPypiIndex, type PypiIndex } from "../helpers/pypi-index.ts";

const sha = "ab".repeat(32);

describe("PEP 503 / 691 page parsing", () => {
  test("HTML: relative hrefs resolved against the page, #sha256 fragments, entities, yanked", () => {
    const html = `<html><body>
      <a href="../../packages/uv-0.13.9-py3-none-win_amd64.whl#sha256=${sha}" data-requires-python="&gt;=3.8">uv-0.13.9-py3-none-win_amd64.whl</a>
      <a href='https://files.example/uv-0.13.8.tar.gz#md5=00' data-yanked="">uv-0.13.8.tar.gz</a>
    </body></html>`;
    const files = parseSimpleHtml(html, "https://idx.example/simple/uv/");
    expect(files[0]).toEqual({ filename: "uv-0.13.9-py3-none-win_amd64.whl", url: "https://idx.example/packages/uv-0.13.9-py3-none-win_amd64.whl", sha256: sha, requiresPython: ">=3.8", yanked: false });
    expect(files[1]).toMatchObject({ sha256: "", yanked: true, url: "https://files.example/uv-0.13.8.tar.gz" });
  });
  test("HTML with a <base href>", () => {
    const files = parseSimpleHtml(`<base href="https://cdn.example/p/"><a href="x.whl#sha256=${sha}">x.whl</a>`, "https://idx.example/simple/x/");
    expect(files[0]!.url).toBe("https://cdn.example/p/x.whl");
  });
  test("JSON: hashes.sha256 and relative urls", () => {
    const files = parseSimpleJson(JSON.stringify({ meta: { "api-version": "1.0" }, files: [{ filename: "a.whl", url: "/f/a.whl", hashes: { sha256: sha.toUpperCase() }, yanked: "broken" }] }), "https://idx.example/simple/a/");
    expect(files[0]).toEqual({ filename: "a.whl", url: "https://idx.example/f/a.whl", sha256: sha, requiresPython: undefined, yanked: true });
  });
  test("names, project URLs and credentials", () => {
    expect(normalizeProjectName("Foo_Bar.baz")).toBe("foo-bar-baz");
    expect(projectUrl("https://idx/simple/", "UV")).toBe("https://idx/simple/uv/");
    expect(splitCredentials("https://me:t%40k@idx/simple")).toEqual({ url: "https://idx/simple", auth: { username: "me", password: "t@k" } });
  });
});

describe("listFiles against a loopback index with the real uv wheel", () => {
  const wheels = existingWheels(join(repoRoot, ".cache", "test-assets", "uv"), /^uv-.*\.whl$/);
  let json: PypiIndex;
  let html: PypiIndex;
  let authed: PypiIndex;
  beforeAll(async () => {
    if (!wheels.length) return;
    json = await startPypiIndex({ projects: { uv: wheels } });
    html = await startPypiIndex({ projects: { uv: wheels }, mode: "html" });
    authed = await startPypiIndex({ projects: { uv: wheels }, auth: { user: "ci", password: "s3cret" } });
  });
  afterAll(() => {
    json?.stop();
    html?.stop();
    authed?.stop();
  });
  const skip = () => {
    if (wheels.length) return false;
    console.warn("the uv wheel is not in .cache/test-assets/uv: run bun scripts/fetch-test-assets.ts; index tests skipped");
    return true;
  };

  test("prefers PEP 691 JSON and gets the sha256 from it", async () => {
    if (skip()) return;
    const files = await listFiles(json.simpleUrl, "uv", { env: {} });
    expect(json.log[0]).toBe("GET /simple/uv/ json");
    expect(files[0]!.url).toBe(`${json.origin}/files/${files[0]!.filename}`);
    expect(files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
  test("falls back to PEP 503 HTML with the same result", async () => {
    if (skip()) return;
    const [a, b] = [await listFiles(json.simpleUrl, "uv", { env: {} }), await listFiles(html.simpleUrl, "uv", { env: {} })];
    expect(html.log[0]).toBe("GET /simple/uv/ html");
    expect(b.map((f) => [f.filename, f.sha256])).toEqual(a.map((f) => [f.filename, f.sha256]));
  });
  test("credentials in the index URL become a Basic header and never appear in errors", async () => {
    if (skip()) return;
    const url = authed.simpleUrl.replace("http://", "http://ci:s3cret@");
    expect((await listFiles(url, "uv", { env: {} })).length).toBeGreaterThan(0);
    const bad = authed.simpleUrl.replace("http://", "http://ci:wrong-pass@");
    const error = await listFiles(bad, "uv", { env: {} }).catch((e) => e);
    expect(String(error.message) + String(error.subject) + String(error.hint)).not.toContain("wrong-pass");
    expect(error.message).toContain("401");
  });
  test("an unknown project is a clear error naming the page", async () => {
    if (skip()) return;
    const error = await listFiles(json.simpleUrl, "no-such-thing", { env: {} }).catch((e) => e);
    expect(error.message).toContain('no project "no-such-thing"');
    expect(error.subject).toBe(`${json.simpleUrl}/no-such-thing/`);
  });
});
