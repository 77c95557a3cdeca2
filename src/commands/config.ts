import { defineDhtCommand } from "./define.ts";

export default defineDhtCommand({
  meta: { name: "config", description: "Show or check the project configuration (.dhtconfig)" },
  examples: ["dhtl config show", "dhtl config show --env services/api --json", "dhtl config validate"],
  subCommands: {
    show: () => import("./config/show.ts").then((m) => m.default),
    validate: () => import("./config/validate.ts").then((m) => m.default),
  },
});
