import type { Command } from "commander";
import { findWandbRunFiles } from "../import/find-runs.js";
import { importWandbRun } from "../import/import-run.js";
import { SqliteStore } from "../store/sqlite/index.js";
import { defaultStoreDir } from "../track/init-options.js";

interface ImportOptions {
  dir?: string;
  force?: boolean;
}

/** `amltk import wandb <path...>`: copy W&B offline runs into the embedded store. */
export function registerImportCommands(program: Command): void {
  const imp = program.command("import").description("import runs from other trackers");

  imp
    .command("wandb <paths...>")
    .description(
      "import W&B offline runs: run-<id>.wandb files, offline-run-* folders, or a wandb/ folder",
    )
    .option("--dir <dir>", "store folder (default: $AMLTK_DIR or ./amltk-runs)")
    .option("--force", "replace runs already in the store (default: skip them)")
    .action(async (paths: string[], opts: ImportOptions) => {
      const files = await findWandbRunFiles(paths);
      const dir = opts.dir ?? defaultStoreDir();
      const store = await SqliteStore.open(dir);
      let imported = 0;
      let failed = 0;
      try {
        for (const file of files) {
          // One bad file must not stop the others: report it and go on.
          try {
            const r = await importWandbRun(file, store, { force: opts.force });
            if (r.status === "skipped") {
              console.log(`skipped ${r.runId}: already in the store (--force replaces it)`);
              continue;
            }
            imported++;
            const run = await store.getRun(r.runId);
            console.log(
              `${r.status} ${r.runId} (${run?.name}, project ${run?.project}): ${r.steps} steps, ${r.state}`,
            );
            if (r.droppedSteps > 0)
              console.log(`  ${r.droppedSteps} rows with a repeated step dropped`);
            if (r.error) {
              failed++;
              console.error(`error: ${r.error.message}; kept the ${r.steps} steps before it`);
            }
          } catch (e) {
            failed++;
            console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
      } finally {
        await store.close();
      }
      console.log(`imported ${imported} of ${files.length} W&B runs into ${dir}`);
      if (failed > 0) process.exitCode = 1;
    });
}
