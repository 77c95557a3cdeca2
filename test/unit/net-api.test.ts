import { afterAll, describe, expect, test } from "bun:test";
import { fetchPage } from "../../src/net/api.ts";
import { DhtError } from "../../src/errors.ts";

let hits = 0;
let flaky = 0;
const server: ReturnType<typeof Bun.serve> = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req): Response {
    const path = new URL(req.url).pathname;
    hits++;
    if (path === "/flaky/") return ++flaky < 3 ? new Response("busy", { status: 503 }) : new Response("<html>ok</html>", { headers: { "content-type": "text/html" } });
    if (path === "/moved/") return Response.redirect(`http://127.0.0.1:${server.port}/flaky/`, 302);
    return new Response("nope", { status: 404 });
  },
});
afterAll(() => server.stop(true));
const env = { NO_PROXY: "127.0.0.1" };

describe("index and API pages (ofetch over httpFetch)", () => {
  test("a 503 is retried and the page that finally comes is returned", async () => {
    flaky = 0;
    const page = await fetchPage(`http://127.0.0.1:${server.port}/flaky/`, { env, retryDelay: 1 });
    expect(page.response.status).toBe(200);
    expect(page.text).toBe("<html>ok</html>");
    expect(flaky).toBe(3);
  });
  test("a 404 comes back to the caller at once, to be explained there", async () => {
    hits = 0;
    const page = await fetchPage(`http://127.0.0.1:${server.port}/missing/`, { env, retryDelay: 1 });
    expect(page.response.status).toBe(404);
    expect(hits).toBe(1);
  });
  test("redirects are followed", async () => {
    flaky = 5;
    const page = await fetchPage(`http://127.0.0.1:${server.port}/moved/`, { env, retryDelay: 1 });
    expect(page.text).toBe("<html>ok</html>");
  });
  test("a refused connection is dhtl's own error naming the URL, after the retries", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const url = `http://127.0.0.1:${closed.port}/simple/`;
    closed.stop(true);
    const error = await fetchPage(url, { env, retryDelay: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(DhtError);
    expect((error as DhtError).message).toContain(url);
  });
});
