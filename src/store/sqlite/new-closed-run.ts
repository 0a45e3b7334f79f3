/**
 * A new run that is closed by its first write (a short trial on a worker pool: its run row,
 * whole history and closing state in one commit). Everything that needs no database (checks,
 * JSON, the history pack, the row's closing columns) is encoded before the write lock is taken,
 * so the lock is held only while the statements run: two worker processes committing to one
 * file wait on each other for that long (bench/seed.ts --profile showed the lock held during
 * the encoding as a share of the seed's per-trial overhead).
 *
 * The row is written once, final: one INSERT with the closing columns and the pack, not an
 * INSERT and then an UPDATE of the row just inserted (a second B-tree search, a second row
 * encoding, the state index's entry written twice, and the UPDATE's text built per run).
 */
import { encodeJson } from "../../shared/json-numbers.js";
import type { HistoryBatch } from "../history-batch.js";
import { duplicateRunError, NEW_RUN_VALUE_COLUMNS, newRunValues } from "../run-insert.js";
import { type RunPatchColumn, runPatchColumns } from "../run-patch.js";
import type { ConsoleLine, RunInit, RunPatch } from "../types.js";
import { type Db, stmt, writeTx } from "./db.js";
import { appendConsoleRows } from "./history.js";
import { freshPack, writeRunHistory } from "./packed-history.js";

/**
 * Every column of a new closed run's row, in the order of its INSERT's values: the new run's,
 * then the ones its closing patch and history pack set.
 */
const CLOSED_RUN_COLUMNS = [
  ...NEW_RUN_VALUE_COLUMNS,
  "summary",
  "state",
  "exit_code",
  "finished_at",
  "history_pack",
  "pack_last_step",
] as const;

/** Where each column's value sits in a closed run's row. */
const CLOSED_RUN_AT = new Map<string, number>(CLOSED_RUN_COLUMNS.map((c, i) => [c, i]));

/** The one statement that stores a new closed run's row; an existing id inserts nothing. */
export const CLOSED_RUN_INSERT = `INSERT INTO runs (${CLOSED_RUN_COLUMNS.join(", ")})
  VALUES (${CLOSED_RUN_COLUMNS.map(() => "?").join(", ")}) ON CONFLICT (id) DO NOTHING`;

/** A new closed run, checked and encoded: its row, and its history when that is not in the row. */
export interface PreparedClosedRun {
  /** The values of {@link CLOSED_RUN_INSERT}. */
  row: unknown[];
  /** True when the history (if any) is the row's pack; false: it goes to chunks. */
  packed: boolean;
}

/**
 * A new run's row as its closing write leaves it: the run's checked values (as `createRun`
 * checks them), its history as a pack when it fits one, and the checked patch's columns over
 * them (as `updateRun` sets them); checked in that order, as the INSERT, history and UPDATE of
 * a run were. No database needed: a writer builds it before it takes the write lock.
 *
 * @example
 * ```ts
 * const { row, packed } = prepareClosedRun(create, { state: "finished", exitCode: 0 }, history);
 * writeTx(db, () => runClosedRunInsert(db, row));
 * ```
 */
export function prepareClosedRun(
  run: RunInit,
  patch: RunPatch,
  history: readonly HistoryBatch[],
): PreparedClosedRun {
  const row = newRunValues(run, encodeJson).values;
  const pack = freshPack(history);
  // A new run's summary, state, exit code and finish time, as the plain INSERT writes them.
  row.push("{}", "running", null, null, pack?.pack ?? null, pack?.lastStep ?? null);
  setPatchColumns(row, runPatchColumns(patch, encodeJson));
  return { row, packed: pack !== undefined };
}

/**
 * Sets the patch's columns in the row. Apart from `prepareClosedRun`, which runs once per
 * trial: without this loop it stays below V8's tier-up rule within a worker's ~1,000 trials
 * (see `Run`'s constructor in track/run.ts), and is not compiled with its callees inlined.
 */
function setPatchColumns(row: unknown[], columns: readonly RunPatchColumn[]): void {
  // Indexed, not `for (const [column, value] of ...)`: see history-pack.ts on destructured loops.
  for (let i = 0; i < columns.length; i++) {
    const at = CLOSED_RUN_AT.get(columns[i][0]);
    // A column a patch can set but this row lacks would be dropped without a word: refuse it.
    if (at === undefined) throw new Error(`a closed run's row has no column ${columns[i][0]}`);
    row[at] = columns[i][1];
  }
}

/** Runs {@link CLOSED_RUN_INSERT}; false when the id is stored already. The caller holds the write transaction. */
export function runClosedRunInsert(db: Db, row: readonly unknown[]): boolean {
  return stmt(db, CLOSED_RUN_INSERT).run(row).changes > 0;
}

/** Inserts, fills and closes a new run in one write transaction (see the module comment). */
export function writeNewClosedRun(
  db: Db,
  runId: string,
  create: RunInit,
  patch: RunPatch,
  history: readonly HistoryBatch[],
  console: readonly ConsoleLine[] | undefined,
): void {
  // The tracker's own row (its id is the run's) as it is: a row checked at init is not again.
  const run = create.id === runId ? create : { ...create, id: runId };
  const { row, packed } = prepareClosedRun(run, patch, history);
  writeTx(db, () => {
    // An existing id is the conflict the insert itself finds (no SELECT first).
    if (!runClosedRunInsert(db, row)) throw duplicateRunError(runId);
    // Too long for a pack: chunks, as any run's history (checked already by freshPack).
    if (!packed) writeRunHistory(db, runId, history, true, false);
    if (console && console.length > 0) appendConsoleRows(db, runId, console);
  });
}
