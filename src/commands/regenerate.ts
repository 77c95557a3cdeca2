import { defineDhtCommand } from "./define.ts";
export default defineDhtCommand({ meta: { name: "regenerate", description: "todo" }, run() { return 1; } });
