/**
 * The "is there a network at all" probe of the repairs (src/net/reachability.ts), against
 * real sockets on loopback: any HTTP answer is reachable (a 401 too); a refused connection
 * and a server that never answers (timeout) are not; only when every URL fails is it "no network".
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server } from "node:net";
import { describeUnreachable, networkUrls, noNetwork, probeReachable } from "../../src/net/reachability.ts";

let http: ReturnType<typeof Bun.serve>;
let silent: Server;
let silentPort = 0;
let closedPort = 0;

beforeAll(async () => {
  http = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("who?", { status: 401 }) });
  // Accepts connections and never says a word.
  silent = createServer(() => {});
  await new Promise<void>((ok) => silent.listen(0, "127.0.0.1", ok));
  silentPort = (silent.address() as { port: number }).port;
  // A port nothing listens on: bound, then released.
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, "127.0.0.1", ok));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((ok) => probe.close(() => ok()));
});
afterAll(() => {
  http.stop(true);
  silent.close();
});

const env = { NO_PROXY: "*" };

describe("probeReachable", () => {
  test("an answer of any status is reachable; refused and timeout are not; all failing is no network", async () => {
    const t0 = performance.now();
    const probes = await probeReachable([`http://u:secret@127.0.0.1:${http.port}/simple`, `http://127.0.0.1:${closedPort}/simple`, `http://127.0.0.1:${silentPort}/simple`], { env, timeoutMs: 400 });
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(probes.map((p) => [p.reachable, p.kind])).toEqual([
      [true, undefined],
      [false, "refused"],
      [false, "timeout"],
    ]);
    expect(probes[0]!.url).not.toContain("secret");
    expect(noNetwork(probes)).toBe(false);
    expect(noNetwork(probes.slice(1))).toBe(true);
    expect(describeUnreachable(probes.slice(1))).toBe(`http://127.0.0.1:${closedPort}/simple (connection refused), http://127.0.0.1:${silentPort}/simple (no answer in time)`);
  });
  test("nothing to probe (local indexes only) is not 'no network'", async () => {
    expect(networkUrls(["file:///opt/wheels", "/srv/wheels", "https://pypi.org/simple", "https://pypi.org/simple"])).toEqual(["https://pypi.org/simple"]);
    expect(noNetwork(await probeReachable([], { env }))).toBe(false);
  });
});
