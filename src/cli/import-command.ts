import { join } from "node:path";
import type { Command } from "commander";
import { findWandbRunFiles, groupWandbRunParts } from "../import/find-runs.js";
import { importWandbRun, type WandbImportResult } from "../import/import-run.js";
import { describeStoreTarget, isPostgresUrl, openStore, sqliteDirOf } from "../store/open-store.js";
import type { Store } from "../store/types.js";
import { defaultStoreDir } from "../track/init-options.js";

interface ImportOptions {
  dir?: string;
  store?: string;
  force?: boolean;
  files?: string;
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
    .option(
      "--store <dir|url>",
      "run folder or postgres:// URL (default: --dir, $AMLTK_DIR or ./amltk-runs)",
    )
    .option(
      "--force",
      "replace runs already in the store (default: skip them, merging parts of a resumed run not yet imported)",
    )
    .option(
      "--files <dir>",
      "copy run folders' files/ here (default: <run folder>/files; not copied into a PostgreSQL store without it)",
    )
    .action(async (paths: string[], opts: ImportOptions) => {
      const files = await findWandbRunFiles(paths);
      const target = opts.store ?? opts.dir ?? defaultStoreDir();
      const store = await openStore(target);
      // Run files live beside a SQLite store (where the server's W&B routes keep uploads too).
      const filesDir =
        opts.files ?? (isPostgresUrl(target) ? undefined : join(sqliteDirOf(target), "files"));
      const runs = groupWandbRunParts(files);
      let imported = 0;
      let failed = 0;
      try {
        for (const parts of runs) {
          // One bad run must not stop the others: report it and go on.
          try {
            const r = await importWandbRun(parts, store, {
              force: opts.force,
              filesDir,
            });
            if (r.status === "skipped") {
              console.log(
                `skipped ${r.runId}: already in the store, every part given (--force replaces it)`,
              );
              continue;
            }
            imported++;
            console.log(await describeImport(r, store));
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
      console.log(
        `imported ${imported} of ${runs.length} W&B runs into ${describeStoreTarget(target)}`,
      );
      if (failed > 0) process.exitCode = 1;
    });
}

/** What one import wrote, and what it dropped, in a few lines. */
async function describeImport(r: WandbImportResult, store: Store): Promise<string> {
  const run = await store.getRun(r.runId);
  const lines = [
    `${r.status} ${r.runId} (${run?.name}, project ${run?.project}): ${r.steps} steps, ${r.state}`,
  ];
  if (r.status === "merged") {
    lines.push(`  added ${r.files.length} later part(s) of a resumed run to the stored run`);
  } else if (r.files.length > 1) lines.push(`  merged ${r.files.length} parts of a resumed run`);
  const kept = [
    r.systemSamples > 0 ? `${r.systemSamples} system samples` : "",
    r.consoleLines > 0 ? `${r.consoleLines} console lines` : "",
    r.filesCopied > 0 ? `${r.filesCopied} files` : "",
  ].filter((k) => k !== "");
  if (kept.length > 0) lines.push(`  with ${kept.join(", ")}`);
  if (r.droppedSteps > 0) lines.push(`  ${r.droppedSteps} rows with a repeated step dropped`);
  if (r.droppedRows > 0) {
    lines.push(
      `  ${r.droppedRows} rows the store cannot hold dropped (a step above 2^53 - 1 or a key over 512 characters)`,
    );
  }
  return lines.join("\n");
}
