/** The closing lines of `dhtl setup` (stdout): where the venv is and how to use it. Light: no imports. */
export function activationText(venv: string, opts: { upToDate?: boolean; python?: string; windows?: boolean; isolated?: boolean }): string {
  const sep = opts.windows ? "\\" : "/";
  const bin = `${venv}${sep}${opts.windows ? "Scripts" : "bin"}`;
  const act = opts.windows ? `${bin}\\Activate.ps1` : `. ${bin}/activate`;
  return [
    `${opts.upToDate ? "Up to date" : "Ready"}: ${venv}${opts.python ? ` (Python ${opts.python})` : ""}`,
    `  activate:  ${act}`,
    ...(opts.isolated ? [`  isolated:  . ${bin}/activate.isolated   (PATH = venv + system dirs only)`] : []),
    "  or run:    dhtl run CMD   (e.g. dhtl run pytest)",
  ].join("\n");
}
