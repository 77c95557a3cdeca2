/**
 * What install.sh changes in a user's shell setup, so `dhtl self uninstall` can undo
 * exactly that and nothing else. install.sh is the writer; keep the two in step:
 *
 *   <config>/dhtl/env        sh/bash/zsh snippet that prepends the install dir to PATH
 *   <config>/dhtl/env.fish   the same for fish
 *   <config>/fish/conf.d/dhtl.fish   sources env.fish (fish reads conf.d by itself)
 *   one line in ~/.profile, existing ~/.bashrc / ~/.bash_profile / ~/.bash_login and
 *   ${ZDOTDIR:-~}/.zshrc:
 *     [ -f "<config>/dhtl/env" ] && . "<config>/dhtl/env" # added by dhtl install.sh
 *
 * <config> is $XDG_CONFIG_HOME, else ~/.config. Pure: paths from env and home, text in,
 * text out.
 */
import { join } from "node:path";

export const INSTALLER_MARKER = "# added by dhtl install.sh";

export interface InstallerFiles {
  configDir: string;
  envFile: string;
  envFish: string;
  fishConf: string;
  /** Shell startup files install.sh may have added its line to. */
  rcFiles: string[];
}

export function installerFiles(env: Record<string, string | undefined>, home: string): InstallerFiles {
  const config = env.XDG_CONFIG_HOME?.trim() || join(home, ".config");
  const zdot = env.ZDOTDIR?.trim() || home;
  const configDir = join(config, "dhtl");
  return {
    configDir,
    envFile: join(configDir, "env"),
    envFish: join(configDir, "env.fish"),
    fishConf: join(config, "fish", "conf.d", "dhtl.fish"),
    rcFiles: [...new Set([".profile", ".bashrc", ".bash_profile", ".bash_login"].map((f) => join(home, f)).concat(join(zdot, ".zshrc")))],
  };
}

/**
 * Remove the lines install.sh added: lines carrying its marker comment. A line the user
 * wrote themselves to source the env file (without the marker) is removed too, because the
 * file it sources is about to disappear.
 */
export function stripInstallerLines(text: string, envFile: string): { text: string; removed: number } {
  const lines = text.split("\n");
  const kept = lines.filter((line) => !(line.includes(INSTALLER_MARKER) || (line.includes(envFile) && /(^|[\s;&|])(\.|source)\s/.test(line))));
  return { text: kept.join("\n"), removed: lines.length - kept.length };
}
