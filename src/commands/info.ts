import { defineDhtCommand } from "./define.ts";
import { printJson, printText } from "../ui/output.ts";

export default defineDhtCommand({
  meta: { name: "info", description: "Show what dhtl knows about this machine" },
  examples: ["dhtl info", "dhtl info --json"],
  run({ ctx }) {
    const facts = { os: process.platform, arch: process.arch };
    if (ctx.json) printJson(facts);
    else printText(`os: ${facts.os}\narch: ${facts.arch}`);
  },
});
