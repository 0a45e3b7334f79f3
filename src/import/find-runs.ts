import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { WandbImportError } from "./errors.js";

const MAX_DEPTH = 3;

async function walk(dir: string, depth: number, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    // `latest-run` is a symlink to a run folder already listed: following links would import it twice.
    if (e.isSymbolicLink()) continue;
    const path = join(dir, e.name);
    if (e.isFile() && e.name.endsWith(".wandb")) out.push(path);
    else if (
      e.isDirectory() &&
      depth < MAX_DEPTH &&
      !e.name.startsWith(".") &&
      e.name !== "files"
    ) {
      await walk(path, depth + 1, out);
    }
  }
}

/**
 * The `.wandb` files under `paths`: a `.wandb` file itself, a run folder
 * (`offline-run-*`), a `wandb/` folder holding run folders, or a project folder holding `wandb/`.
 * Throws `WandbImportError` for a path that is missing or holds no `.wandb` file.
 *
 * @example
 * ```ts
 * const files = await findWandbRunFiles(["./wandb"]);
 * // ["wandb/offline-run-20240101_000000-abc/run-abc.wandb", ...]
 * ```
 */
export async function findWandbRunFiles(paths: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const p of paths) {
    const st = await stat(p).catch(() => undefined);
    if (!st) throw new WandbImportError(`no such file or folder: ${p}`);
    const here: string[] = [];
    if (st.isFile()) {
      if (!p.endsWith(".wandb")) throw new WandbImportError(`not a .wandb file: ${p}`);
      here.push(p);
    } else {
      await walk(p, 0, here);
      if (here.length === 0) throw new WandbImportError(`no W&B run (.wandb file) under ${p}`);
    }
    for (const f of here) if (!found.includes(f)) found.push(f);
  }
  return found;
}

/**
 * `files` grouped by run id (`run-<id>.wandb`), in first-seen order: a resumed run written
 * offline has one folder per part, all with the same id, and is imported as one run.
 *
 * @example
 * ```ts
 * const runs = groupWandbRunParts(await findWandbRunFiles(["./wandb"]));
 * for (const parts of runs) await importWandbRun(parts, store);
 * ```
 */
export function groupWandbRunParts(files: readonly string[]): string[][] {
  const byId = new Map<string, string[]>();
  for (const f of files) {
    const id = basename(f)
      .replace(/^run-/, "")
      .replace(/\.wandb$/, "");
    const parts = byId.get(id);
    if (parts) parts.push(f);
    else byId.set(id, [f]);
  }
  return [...byId.values()];
}
