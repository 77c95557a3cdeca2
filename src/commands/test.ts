import { defineDhtCommand } from "./define.ts";

export default defineDhtCommand({
  meta: {
    name: "test",
    description:
      "Run the project's tests the way the project runs them (its tox env, nox session, Makefile, CI step or framework). " +
      "Every argument that is not one of the flags below goes to the test runner, in order (no `--` needed); " +
      "paths and node ids replace the route's own test paths. After `--` everything goes to the runner (`-- -v` is pytest's -v, not --verbose).",
  },
  examples: [
    "dhtl test",
    "dhtl test --list",
    "dhtl test --route make:test",
    "dhtl test tests/test_cli.py -k parser      # only that file (the route's own test paths give way), -k to pytest",
    "dhtl test -x --ignore=tests/slow           # flags dhtl test does not know go to the runner",
    "dhtl test --list tests/test_cli.py         # the exact command lines that would run",
    "dhtl test --json -- -v                     # after --, even dhtl's flags go to the runner",
  ],
  passthrough: "unknown",
  args: {
    list: { type: "boolean", description: "List every test route found, with its evidence and the exact command lines it would run, and which one runs" },
    route: { type: "string", description: "Run this route instead of the chosen one (a name from --list, e.g. tox:py311, make:test, pytest)", valueHint: "NAME" },
    args: { type: "positional", required: false, description: "Arguments and flags for the test runner (where the route puts {posargs}, else at the end); paths narrow the route" },
  },
  async run({ args, ctx, passthrough }) {
    const { runTestCommand } = await import("../testing/command.ts");
    return runTestCommand(ctx, { list: Boolean(args.list), ...(typeof args.route === "string" ? { route: args.route } : {}), userArgs: passthrough });
  },
});
