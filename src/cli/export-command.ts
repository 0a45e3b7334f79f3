import { join, resolve } from "node:path";
import type { Command } from "commander";
import { exportWandbRun } from "../export/export-run.js";
import { describeStoreTarget, isPostgresUrl, openStore, sqliteDirOf } from "../store/open-store.js";
import type { Store } from "../store/types.js";
import { type DirOption, storeDir, withStore } from "./runs-command.js";

interface ExportOptions extends DirOption {
  out: string;
  store?: string;
}

const STORE_HELP = "run folder or postgres:// URL (default: --dir, $AMLTK_DIR or ./amltk-runs)";

/**
 * `amltk export wandb <run-id...> --out DIR`: runs of the store as W&B offline run folders,
 * for `wandb sync`. (`amltk runs export` prints one run's history as CSV or JSON instead.)
 */
export function registerExportCommands(program: Command): void {
  const exp = program.command("export").description("export runs to other trackers");

  exp
    .command("wandb <runIds...>")
    .description(
      "write runs as W&B offline run folders (offline-run-*/run-<id>.wandb) for wandb sync",
    )
    .requiredOption("--out <dir>", "folder to write the run folders into (e.g. ./wandb)")
    .option("--dir <dir>", "store folder (default: $AMLTK_DIR or ./amltk-runs)")
    .option("--store <dir|url>", STORE_HELP)
    .action(async (runIds: string[], opts: ExportOptions) => {
      await withSourceStore(opts, async (store, filesDir) => {
        for (const id of runIds) {
          const r = await exportWandbRun(store, id, { out: opts.out, filesDir });
          console.log(
            `exported ${r.runId}: ${r.steps} steps, ${r.systemSamples} system samples, ` +
              `${r.consoleLines} console lines, ${r.files} files -> ${r.dir}`,
          );
        }
      });
      console.log(`upload with: wandb sync ${resolve(opts.out)}/offline-run-*`);
    });
}

/**
 * The store to export from: a PostgreSQL URL (no run files: they live beside a SQLite store),
 * or a run folder opened for reading only (never created), its files in `<folder>/files`.
 */
async function withSourceStore(
  opts: ExportOptions,
  fn: (store: Store, filesDir: string | undefined) => Promise<void>,
): Promise<void> {
  const target = opts.store ?? storeDir(opts);
  if (!isPostgresUrl(target)) {
    const dir = sqliteDirOf(target);
    await withStore({ dir }, (store) => fn(store, join(dir, "files")));
    return;
  }
  const store = await openStore(target).catch((e: unknown) => {
    throw new Error(`cannot open the store ${describeStoreTarget(target)}`, { cause: e });
  });
  try {
    await fn(store, undefined);
  } finally {
    await store.close();
  }
}
