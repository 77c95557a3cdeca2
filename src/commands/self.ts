/**
 * `dhtl self`: manage the dhtl executable itself (update, uninstall). The subcommands are
 * loaded on demand like every other command.
 */
import { defineDhtCommand } from "./define.ts";

export default defineDhtCommand({
  meta: { name: "self", description: "Update or uninstall dhtl itself" },
  examples: ["dhtl self update", "dhtl self update --version 1.2.3", "dhtl self uninstall --yes"],
  subCommands: {
    update: () => import("./self/update.ts").then((m) => m.default),
    uninstall: () => import("./self/uninstall.ts").then((m) => m.default),
  },
});
