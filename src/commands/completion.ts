import { defineDhtCommand } from "./define.ts";
import { usageError } from "../errors.ts";

export default defineDhtCommand({
  meta: { name: "completion", description: "Print a shell completion script (bash, zsh, fish, powershell)" },
  examples: [
    "source <(dhtl completion bash)                      # this shell; add it to ~/.bashrc to keep it",
    "dhtl completion zsh > ~/.zfunc/_dhtl               # or: source <(dhtl completion zsh) in ~/.zshrc",
    "dhtl completion fish > ~/.config/fish/completions/dhtl.fish",
    "dhtl completion powershell | Out-String | Invoke-Expression",
  ],
  // `dhtl completion complete -- WORDS…` is what the scripts call at each TAB.
  passthrough: true,
  args: {
    shell: { type: "positional", required: false, description: "bash, zsh, fish or powershell" },
  },
  async run({ passthrough: words }) {
    const { SHELLS, completionTree } = await import("../completion/tree.ts");
    const [shell, ...rest] = words;
    if (shell === "complete") {
      const tree = await completionTree();
      tree.parse(rest[0] === "--" ? rest.slice(1) : rest);
      return;
    }
    if (!shell || !(SHELLS as readonly string[]).includes(shell)) {
      throw usageError(shell ? `no completion for the shell "${shell}"` : "which shell? dhtl completion needs one", {
        subject: "dhtl completion",
        hint: `valid values: ${SHELLS.join(", ")} (e.g. source <(dhtl completion bash))`,
      });
    }
    const tree = await completionTree();
    tree.setup("dhtl", "dhtl completion", shell);
  },
});
