import { defineDhtCommand } from "./define.ts";

export default defineDhtCommand({
  meta: { name: "test", description: "Run the project's tests the way the project runs them (its tox env, nox session, Makefile, CI step or framework)" },
  examples: ["dhtl test", "dhtl test --list", "dhtl test --route make:test", "dhtl test tests/test_cli.py -k parser", "dhtl test --json -- -x"],
  passthrough: true,
  args: {
    list: { type: "boolean", description: "List every test route found, with its evidence, and which one runs" },
    route: { type: "string", description: "Run this route instead of the chosen one (a name from --list, e.g. tox:py311, make:test, pytest)", valueHint: "NAME" },
    args: { type: "positional", required: false, description: "Arguments for the test runner (where the route puts {posargs}, else at the end)" },
  },
  async run({ args, ctx, passthrough }) {
    const { runTestCommand } = await import("../testing/command.ts");
    return runTestCommand(ctx, { list: Boolean(args.list), ...(typeof args.route === "string" ? { route: args.route } : {}), userArgs: passthrough });
  },
});
