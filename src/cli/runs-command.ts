import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { encodeJson } from "../shared/json-numbers.js";
import { isPostgresUrl, sqliteDirOf } from "../store/open-store.js";
import { PostgresStore } from "../store/postgres/index.js";
import { RUN_STATES } from "../store/run-record.js";
import { SqliteStore } from "../store/sqlite/index.js";
import type { HistoryRow, RunRecord, RunState, Store } from "../store/types.js";
import { defaultStoreDir } from "../track/init-options.js";
import { toCSV } from "../trial/csv.js";
import type { RowValue } from "../trial/report.js";

const STATES: readonly RunState[] = RUN_STATES;

export interface DirOption {
  dir?: string;
  /** A run folder or a `postgres://` URL (wins over `dir`). */
  store?: string;
}

const STORE_HELP = "run folder or postgres:// URL (default: --dir, $AMLTK_DIR or ./amltk-runs)";

export function storeDir(opts: DirOption): string {
  return opts.dir ?? defaultStoreDir();
}

/** Opens the store of `--dir` for reading (never creating one), runs `fn`, closes it. */
export async function withStore<T>(opts: DirOption, fn: (store: Store) => Promise<T>): Promise<T> {
  if (opts.store !== undefined && isPostgresUrl(opts.store)) {
    const pg = await PostgresStore.open(opts.store);
    try {
      await pg.reapCrashed();
      return await fn(pg);
    } finally {
      await pg.close();
    }
  }
  const dir = opts.store !== undefined ? sqliteDirOf(opts.store) : storeDir(opts);
  // Reading commands never create a store (nor its folder): that would be a write, and on a
  // read-only or full disk a confusing failure instead of this answer.
  if (!existsSync(join(dir, "amltk.db"))) {
    throw new Error(`no run store in ${dir} (no amltk.db there); pass --dir or set AMLTK_DIR`);
  }
  // A store that cannot be written opens for reading (store/sqlite/faults.ts).
  const store = await SqliteStore.open(dir);
  try {
    // Any reader marks runs whose process died as crashed, so none is shown as running forever
    // (best-effort: skipped when the store cannot be written).
    await store.reapCrashed();
    return await fn(store);
  } finally {
    await store.close();
  }
}

function pad(cells: readonly string[][]): string {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join("  ")).join("\n");
}

function formatRunsTable(runs: readonly RunRecord[]): string {
  const header = ["ID", "PROJECT", "NAME", "STATE", "EXIT", "CREATED"];
  const rows = runs.map((r) => [
    r.id,
    r.project,
    r.name,
    r.state,
    r.exitCode === null ? "-" : String(r.exitCode),
    new Date(r.createdAt).toISOString(),
  ]);
  return pad([header, ...rows]);
}

/** Flattens history rows into W&B-style records with `_step`, `_runtime`, `_timestamp`. */
function historyRecords(rows: readonly HistoryRow[]): Record<string, unknown>[] {
  return rows.map((r) => ({
    _step: r.step,
    _runtime: r.runtime,
    _timestamp: r.timestamp,
    ...r.values,
  }));
}

/** CSV of a run's history: one column per key, in first-seen order; objects as JSON text. */
export function historyToCsv(rows: readonly HistoryRow[]): string {
  return toCSV(
    historyRecords(rows).map((rec) =>
      Object.fromEntries(
        Object.entries(rec).map(([k, v]) => [
          k,
          v !== null && typeof v === "object" ? encodeJson(v) : (v as RowValue),
        ]),
      ),
    ),
  );
}

/**
 * Indented JSON with NaN and ±Infinity kept as the project's tags (the codec of `shared/json-numbers.ts`,
 * as the API writes them), not turned into `null` as `JSON.stringify` would.
 */
function jsonText(v: unknown): string {
  return JSON.stringify(JSON.parse(encodeJson(v)), null, 2);
}

async function requireRun(store: Store, id: string): Promise<RunRecord> {
  const run = await store.getRun(id);
  if (!run) throw new Error(`no run with id "${id}" in this store`);
  return run;
}

/** `amltk runs list|show|export`: read the store of a folder, or a PostgreSQL database. */
export function registerRunsCommands(program: Command): void {
  const runs = program.command("runs").description("list, show and export tracked runs");

  runs
    .command("list")
    .description("list runs, newest first")
    .option("--dir <dir>", "store folder (default: $AMLTK_DIR or ./amltk-runs)")
    .option("--store <dir|url>", STORE_HELP)
    .option("--project <project>", "only this project")
    .option("--state <state>", `only runs in this state (${STATES.join(", ")})`)
    .action(async (opts: DirOption & { project?: string; state?: string }) => {
      if (opts.state !== undefined && !STATES.includes(opts.state as RunState)) {
        throw new Error(`unknown state "${opts.state}"; expected one of ${STATES.join(", ")}`);
      }
      await withStore(opts, async (store) => {
        const { runs: found, total } = await store.listRuns({
          project: opts.project,
          state: opts.state as RunState | undefined,
          sort: "-createdAt",
        });
        console.log(found.length === 0 ? "no runs" : formatRunsTable(found));
        if (total > found.length) console.log(`(${total - found.length} more)`);
      });
    });

  runs
    .command("show <id>")
    .description("config, summary, state, exit code and history keys of one run")
    .option("--dir <dir>", "store folder (default: $AMLTK_DIR or ./amltk-runs)")
    .option("--store <dir|url>", STORE_HELP)
    .action(async (id: string, opts: DirOption) => {
      await withStore(opts, async (store) => {
        const run = await requireRun(store, id);
        const keys = await store.historyKeys(id);
        const out = {
          ...run,
          historyKeys: Object.fromEntries(keys.map((k) => [k.key, k.count])),
        };
        console.log(jsonText(out));
      });
    });

  runs
    .command("export <id>")
    .description("print a run's history as CSV or JSON")
    .option("--dir <dir>", "store folder (default: $AMLTK_DIR or ./amltk-runs)")
    .option("--store <dir|url>", STORE_HELP)
    .option("--format <format>", "csv or json", "csv")
    .action(async (id: string, opts: DirOption & { format: string }) => {
      if (opts.format !== "csv" && opts.format !== "json") {
        throw new Error(`unknown format "${opts.format}"; expected csv or json`);
      }
      await withStore(opts, async (store) => {
        await requireRun(store, id);
        const rows = await store.readHistory(id);
        process.stdout.write(
          opts.format === "csv" ? historyToCsv(rows) : `${jsonText(historyRecords(rows))}\n`,
        );
      });
    });
}
