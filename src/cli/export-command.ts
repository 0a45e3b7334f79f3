import { join, resolve } from "node:path";
import type { Command } from "commander";
import { exportWandbRun } from "../export/export-run.js";
import { type DirOption, storeDir, withStore } from "./runs-command.js";

interface ExportOptions extends DirOption {
  out: string;
}

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
    .action(async (runIds: string[], opts: ExportOptions) => {
      const filesDir = join(storeDir(opts), "files");
      await withStore(opts, async (store) => {
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
