/**
 * Applies validated write operations exactly once, over any store that offers a transaction
 * (`Store.transaction`). Each (run, writer) pair has a ledger entry in the store holding the last
 * applied sequence number; the guard, the ops and the ledger update run in one transaction, so a
 * refused batch writes nothing and a retried request whose answer was lost is acknowledged
 * without writing twice (history is appended, so a second write would double points).
 */

import type { BatchResult, Op } from "../protocol/batch.js";
import { AmltkError } from "../shared/errors.js";
import { runPatchColumns } from "../store/run-patch.js";
import type { RunPatch, RunRecord, Store, StoreTransaction } from "../store/types.js";
import { StoreError } from "../store/types.js";
import { ApiError } from "./errors.js";
import { joinable, joinColumns, toBatch } from "./history-merge.js";

/**
 * A check of a write against the run as it is, in the write's transaction: `prev` is the run
 * (undefined when it does not exist yet), `knownWriter` whether this writer wrote to it before.
 * Throws to refuse the whole request.
 */
export type WriteGuard = (prev: RunRecord | undefined, knownWriter: boolean) => void;

export interface Ingestor {
  /**
   * Applies `ops` for `runId`; `writer` undefined = no deduplication. `opField` names op `i` in
   * errors (default `ops[i]`; a single-op route passes its own name).
   */
  apply(
    runId: string,
    writer: string | undefined,
    ops: readonly Op[],
    opField?: (i: number) => string,
    guard?: WriteGuard,
  ): Promise<BatchResult>;
}

const defaultOpField = (i: number) => `ops[${i}]`;

/**
 * A store refusal while applying op `i`, as an API error naming the field: the URL's run id for
 * an unknown run or an id that exists, else the op. (A StoreError alone names no field.)
 */
function opError(err: unknown, i: number, opField: (i: number) => string): unknown {
  if (!(err instanceof StoreError)) return err;
  const cause = { cause: err };
  if (err.code === "not_found") return new ApiError(404, "not_found", err.message, "id", cause);
  if (err.code === "duplicate") return new ApiError(409, "duplicate", err.message, "id", cause);
  if (err.code === "invalid") return new ApiError(400, "invalid", err.message, opField(i), cause);
  return err;
}

/** Patch for a `create` with resume of an existing run (like `init({ resume: "allow" })`). */
function resumePatch(op: Extract<Op, { type: "create" }>, prev: RunRecord): RunPatch {
  const r = op.run;
  return {
    state: "running",
    exitCode: null,
    finishedAt: null,
    heartbeatAt: Date.now(),
    config: { ...prev.config, ...(r.config ?? {}) },
    ...(r.pid !== undefined ? { pid: r.pid ?? null } : {}),
    ...(r.host !== undefined ? { host: r.host ?? null } : {}),
    ...(r.tags !== undefined ? { tags: r.tags } : {}),
    ...(r.notes !== undefined && r.notes !== null ? { notes: r.notes } : {}),
  };
}

/** A heartbeat for a run the server reaped while its client could not reach it revives it. */
function revive(patch: RunPatch, prev: RunRecord | undefined): RunPatch {
  if (prev?.state === "crashed" && patch.state === undefined && patch.heartbeatAt !== undefined) {
    return { ...patch, state: "running", finishedAt: null };
  }
  return patch;
}

function checkOpRuns(runId: string, ops: readonly Op[], opField: (i: number) => string): void {
  ops.forEach((op, i) => {
    if (op.type === "create" && op.run.id !== undefined && op.run.id !== runId) {
      const field = `${opField(i)}.run.id`;
      throw new ApiError(
        400,
        "invalid",
        `${field}: ${op.run.id} differs from the URL's ${runId}`,
        field,
      );
    }
  });
}

/**
 * `createServer` was given a store that cannot run a transaction (see `Store.transaction`), so
 * a refused batch could stay half written. Code `store_without_transaction`.
 *
 * @example
 * ```ts
 * try {
 *   await createServer({ store: someStore });
 * } catch (e) {
 *   if (e instanceof StoreWithoutTransactionError) console.error(e.message); // names e.storeKind
 * }
 * ```
 */
export class StoreWithoutTransactionError extends AmltkError<"store_without_transaction"> {
  override name = "StoreWithoutTransactionError";
  constructor(readonly storeKind: string) {
    super(
      "store_without_transaction",
      `a server needs a store with transactions (Store.transaction), so that a refused batch ` +
        `writes nothing; the ${JSON.stringify(storeKind)} store has none (use SqliteStore or MemoryStore)`,
    );
  }
}

type TransactionalStore = Store & Required<Pick<Store, "transaction">>;

/** The one ingest algorithm: the ledger check, the guard, the ops and the ledger update in one transaction. */
class StoreIngestor implements Ingestor {
  constructor(private readonly store: TransactionalStore) {}

  apply(
    runId: string,
    writer: string | undefined,
    ops: readonly Op[],
    opField = defaultOpField,
    guard?: WriteGuard,
  ): Promise<BatchResult> {
    checkOpRuns(runId, ops, opField);
    return this.store.transaction(async (tx) => {
      const last = writer === undefined ? undefined : await tx.ingestSeq(runId, writer);
      guard?.(await tx.getRun(runId), last !== undefined);
      let applied = 0;
      let skipped = 0;
      let lastSeq = last ?? 0;
      const fresh = (op: Op) => writer === undefined || op.seq > (last ?? 0);
      for (let i = 0; i < ops.length; ) {
        const op = ops[i]!;
        if (!fresh(op)) {
          skipped++;
          i++;
          continue;
        }
        // Consecutive history ops go in as one batch (history-merge.ts): same points, less work.
        const end = historyRunEnd(ops, i, fresh);
        if (end > i + 1) await applyJoined(tx, runId, ops, i, end, opField);
        else {
          try {
            await applyOp(tx, runId, op);
          } catch (err) {
            throw opError(err, i, opField);
          }
        }
        for (let j = i; j < end; j++) lastSeq = Math.max(lastSeq, ops[j]!.seq);
        applied += end - i;
        i = end;
      }
      if (writer !== undefined && applied > 0) await tx.setIngestSeq(runId, writer, lastSeq);
      const rec = await tx.getRun(runId);
      return { applied, skipped, lastSeq, nextStep: rec?.nextStep ?? 0 };
    });
  }
}

type ColumnsOp = Extract<Op, { type: "history_cols" }>;

/**
 * The end (exclusive) of the ops from `i` whose history joins into one batch: `history_cols`
 * ops, each to be applied and joinable to the one before, with the `patch` ops between them
 * (the SDK pushes a summary patch after each flush's history); it ends at a `history_cols` op.
 * `i + 1` when `ops[i]` joins nothing.
 */
function historyRunEnd(ops: readonly Op[], i: number, fresh: (op: Op) => boolean): number {
  let end = i + 1;
  if (ops[i]!.type !== "history_cols") return end;
  let prev = ops[i] as ColumnsOp;
  for (let j = i + 1; j < ops.length; j++) {
    const next = ops[j]!;
    if (!fresh(next)) break;
    if (next.type === "patch") continue;
    if (next.type !== "history_cols" || !joinable(prev.cols, next.cols)) break;
    prev = next;
    end = j + 1;
  }
  return end;
}

/**
 * Ops `from..to` (see {@link historyRunEnd}): their history as one batch, then their patches in
 * order. A patch touches only the run's row (name, config, summary, state, heartbeat...) and a
 * history write only its points and `nextStep`, so writing the patches after the history they
 * sat between leaves the same run; a refusal still names its own op.
 */
async function applyJoined(
  tx: StoreTransaction,
  runId: string,
  ops: readonly Op[],
  from: number,
  to: number,
  opField: (i: number) => string,
): Promise<void> {
  const group = ops.slice(from, to);
  const cols = group
    .filter((op): op is ColumnsOp => op.type === "history_cols")
    .map((op) => op.cols);
  try {
    await tx.appendHistoryBatch(runId, joinColumns(cols));
  } catch (err) {
    throw opError(err, from, opField);
  }
  const patches: number[] = [];
  for (let j = from; j < to; j++) if (ops[j]!.type === "patch") patches.push(j);
  const joined = joinedPatch(ops, patches, opField);
  if (joined) {
    try {
      await tx.updateRun(runId, revive(joined.patch, await tx.getRun(runId)));
    } catch (err) {
      throw opError(err, joined.last, opField);
    }
    return;
  }
  for (const j of patches) {
    try {
      await applyOp(tx, runId, ops[j]!);
    } catch (err) {
      throw opError(err, j, opField);
    }
  }
}

/** The fields a flush's patch sets (`run-sink.ts`): each later one replaces an earlier one. */
const FLUSH_FIELDS = new Set(["summary", "heartbeatAt"]);

/**
 * The patches at `at` as one, when each sets only a summary and/or a heartbeat (the SDK's
 * flushes and heartbeats): a field set by a later patch replaces an earlier one, so the last of
 * each field is what applying them in turn leaves (a heartbeat's revival included: it depends
 * only on the state, which these patches do not set). Each patch is still checked as the store
 * checks it, so a bad one is refused naming its own op. Undefined when there is nothing to join
 * or some patch sets anything else.
 */
function joinedPatch(
  ops: readonly Op[],
  at: readonly number[],
  opField: (i: number) => string,
): { patch: RunPatch; last: number } | undefined {
  if (at.length < 2) return undefined;
  const patch: RunPatch = {};
  for (const j of at) {
    const p = (ops[j] as Extract<Op, { type: "patch" }>).patch;
    for (const k in p) if (!FLUSH_FIELDS.has(k)) return undefined;
  }
  for (const j of at) {
    const p = (ops[j] as Extract<Op, { type: "patch" }>).patch;
    // The last patch is checked by the store's write of the joined one.
    if (j !== at[at.length - 1]) {
      try {
        runPatchColumns(p, (tags) => tags);
      } catch (err) {
        throw opError(err, j, opField);
      }
    }
    if (p.summary !== undefined) patch.summary = p.summary;
    if (p.heartbeatAt !== undefined) patch.heartbeatAt = p.heartbeatAt;
  }
  return { patch, last: at[at.length - 1]! };
}

/**
 * An empty list writes nothing, but for an unknown run it must still be a 404: otherwise the
 * ledger records a seq for a run that does not exist.
 */
async function requireRun(tx: StoreTransaction, runId: string): Promise<void> {
  if (!(await tx.getRun(runId))) {
    throw new StoreError(`unknown run id ${JSON.stringify(runId)}`, "not_found");
  }
}

async function applyOp(tx: StoreTransaction, runId: string, op: Op): Promise<void> {
  switch (op.type) {
    case "create": {
      const prev = await tx.getRun(runId);
      if (!prev) return tx.createRun({ ...op.run, id: runId });
      if (!op.resume) {
        throw new StoreError(`run id ${JSON.stringify(runId)} already exists`, "duplicate");
      }
      return tx.updateRun(runId, resumePatch(op, prev));
    }
    case "history":
      return op.rows.length > 0 ? tx.appendHistory(runId, op.rows) : requireRun(tx, runId);
    case "history_cols":
      return op.cols.steps.length > 0
        ? tx.appendHistoryBatch(runId, toBatch(op.cols))
        : requireRun(tx, runId);
    case "system":
      return op.samples.length > 0 ? tx.appendSystem(runId, op.samples) : requireRun(tx, runId);
    case "console":
      return op.lines.length > 0 ? tx.appendConsole(runId, op.lines) : requireRun(tx, runId);
    case "patch":
      return tx.updateRun(runId, revive(op.patch, await tx.getRun(runId)));
  }
}

/**
 * The server's ingest over `store`.
 *
 * @throws StoreWithoutTransactionError when the store has no `transaction`.
 */
export function makeIngestor(store: Store): Ingestor {
  if (typeof store.transaction !== "function") throw new StoreWithoutTransactionError(store.kind);
  return new StoreIngestor(store as TransactionalStore);
}
