/** Flags `dhtl deps plan` and `dhtl deps install` share (and mean the same in `dhtl setup`). */
export const depsArgs = {
  system: {
    type: "boolean",
    description: "Use the system package manager even inside a container (needs root or passwordless sudo)",
    negativeDescription: "Never use the system package manager: user space into the environment only",
  },
  env: { type: "string", description: "Monorepo: the environment directory", valueHint: "DIR" },
  offline: { type: "boolean", description: "Never touch the network (user space from the download cache and the offline bundle)" },
} as const;
