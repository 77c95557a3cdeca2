import { defineDhtCommand } from "./define.ts";
export default defineDhtCommand({ meta: { name: "fix-env", description: "todo" }, run() { return 1; } });
