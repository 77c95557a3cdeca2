/**
 * Write a small file so that readers see either the old content or the whole new one:
 * a temporary file beside the target, then a rename. Without `overwrite`, the temporary
 * file is hard-linked into place, which fails atomically when the target already exists
 * (no window in which a concurrently created file could be replaced).
 */
import { link, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export class TargetExistsError extends Error {
  constructor(readonly path: string) {
    super(`${path} already exists`);
  }
}

export async function writeFileAtomic(target: string, content: string, opts: { overwrite: boolean }): Promise<void> {
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  await writeFile(temp, content, { flag: "wx", mode: 0o644 });
  try {
    if (opts.overwrite) {
      await rename(temp, target);
      return;
    }
    try {
      await link(temp, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST") throw new TargetExistsError(target);
      // File systems without hard links (some network and FAT mounts): check, then rename.
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw error;
      if (await Bun.file(target).exists()) throw new TargetExistsError(target);
      await rename(temp, target);
    }
  } finally {
    await rm(temp, { force: true });
  }
}
