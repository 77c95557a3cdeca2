import { defineDhtCommand } from "./define.ts";

export default defineDhtCommand({
  meta: { name: "python", description: "Managed CPython builds: list, install, find, uninstall, pin" },
  examples: [
    "dhtl python list",
    "dhtl python install 3.12",
    "dhtl python install '>=3.10,<3.13'",
    "dhtl python find 3.11 --explain",
    "dhtl python uninstall 3.11.7",
    "dhtl python pin 3.12",
  ],
  subCommands: {
    list: () => import("./python/list.ts").then((m) => m.default),
    install: () => import("./python/install.ts").then((m) => m.default),
    find: () => import("./python/find.ts").then((m) => m.default),
    uninstall: () => import("./python/uninstall.ts").then((m) => m.default),
    pin: () => import("./python/pin.ts").then((m) => m.default),
  },
});
