/**
 * Loaded before every test file (bunfig.toml [test] preload). e2e tests start real servers
 * and interpreters, and a cold cache on a loaded 2-core machine can take a first setup past
 * bun's 5 s default; bunfig's own `timeout` key is not applied by `bun test` (a test timed
 * out "after 5000ms" with it set), so the default is set here, where bun does read it.
 */
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(120_000);
