/**
 * `MemoryStore.transaction` by an undo log: before a transaction first touches a run it notes
 * the run's record and how long its history, system and console lists were (they only grow
 * inside a transaction), and before it sets a ledger entry it notes the old one. A rollback puts
 * those back; a commit just drops the log.
 */
import { batchToRows, type HistoryBatch } from "../store/history-batch.js";
import { checkTransactionOpen } from "../store/transaction-ended.js";
import type {
  ConsoleLine,
  HistoryRow,
  RunInit,
  RunPatch,
  RunRecord,
  StoreTransaction,
  SystemSample,
} from "../store/types.js";
import type { MemoryStore } from "./memory-store.js";

/** A run as it was before the transaction touched it (undefined: it did not exist). */
interface RunBefore {
  run: RunRecord | undefined;
  history: number | undefined;
  system: number | undefined;
  console: number | undefined;
}

/** Ledger key of (run, writer); NUL cannot occur in a run id or writer name. */
export const ledgerKey = (runId: string, writer: string) => `${runId}\u0000${writer}`;

export class MemoryTransaction implements StoreTransaction {
  #ended = false;
  readonly #runs = new Map<string, RunBefore>();
  readonly #ledger = new Map<string, number | undefined>();
  constructor(private readonly store: MemoryStore) {}

  /** The store, after noting run `id` as it is now (once per transaction). */
  #touch(id: string): MemoryStore {
    checkTransactionOpen(this.#ended);
    const s = this.store;
    if (!this.#runs.has(id)) {
      const run = s.runs.get(id);
      this.#runs.set(id, {
        run: run && structuredClone(run),
        history: s.history.get(id)?.length,
        system: s.system.get(id)?.length,
        console: s.console.get(id)?.length,
      });
    }
    return s;
  }

  // getRun notes the run too: reading may mark a dead owner's run crashed.
  getRun(id: string): Promise<RunRecord | undefined> {
    return this.#touch(id).getRun(id);
  }
  async createRun(run: RunInit): Promise<void> {
    await this.#touch(run.id).createRun(run);
  }
  updateRun(id: string, patch: RunPatch): Promise<void> {
    return this.#touch(id).updateRun(id, patch);
  }
  appendHistory(runId: string, rows: readonly HistoryRow[]): Promise<void> {
    return this.#touch(runId).appendHistory(runId, rows);
  }
  appendHistoryBatch(runId: string, batch: HistoryBatch): Promise<void> {
    return this.#touch(runId).appendHistory(runId, batchToRows(batch));
  }
  appendSystem(runId: string, samples: readonly SystemSample[]): Promise<void> {
    return this.#touch(runId).appendSystem(runId, samples);
  }
  appendConsole(runId: string, lines: readonly ConsoleLine[]): Promise<void> {
    return this.#touch(runId).appendConsole(runId, lines);
  }
  async ingestSeq(runId: string, writer: string): Promise<number | undefined> {
    return this.#touch(runId).ledger.get(ledgerKey(runId, writer));
  }
  async setIngestSeq(runId: string, writer: string, seq: number): Promise<void> {
    const ledger = this.#touch(runId).ledger;
    const k = ledgerKey(runId, writer);
    if (!this.#ledger.has(k)) this.#ledger.set(k, ledger.get(k));
    ledger.set(k, seq);
  }

  /** Keeps what the transaction wrote. */
  commit(): void {
    this.#ended = true;
  }

  /** Puts every run and ledger entry the transaction touched back as it was. */
  rollback(): void {
    this.#ended = true;
    const s = this.store;
    for (const [id, before] of this.#runs) {
      if (before.run) s.runs.set(id, before.run);
      else s.runs.delete(id);
      truncate(s.history, id, before.history);
      truncate(s.system, id, before.system);
      truncate(s.console, id, before.console);
    }
    for (const [k, seq] of this.#ledger) {
      if (seq === undefined) s.ledger.delete(k);
      else s.ledger.set(k, seq);
    }
  }
}

/** Cuts `m.get(id)` back to `length` items, or removes it when it did not exist. */
function truncate<T>(m: Map<string, T[]>, id: string, length: number | undefined): void {
  if (length === undefined) m.delete(id);
  else {
    const a = m.get(id);
    if (a) a.length = length;
  }
}
