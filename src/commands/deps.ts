import { defineDhtCommand } from "./define.ts";

export default defineDhtCommand({
  meta: { name: "deps", description: "System packages (platform_deps): plan and install, with the system manager or in user space" },
  examples: ["dhtl deps plan", "dhtl deps plan --json", "dhtl deps install", "dhtl deps install --system", "dhtl deps install --no-system", "dhtl deps plan --list"],
  subCommands: {
    plan: () => import("./deps/plan.ts").then((m) => m.default),
    install: () => import("./deps/install.ts").then((m) => m.default),
  },
});
