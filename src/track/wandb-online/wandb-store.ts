/**
 * `WandbOnlineStore`: the `Store` a run writes through in `init({ mode: "online", protocol:
 * "wandb" })`. Every write goes to the run's spool on disk first (spool.ts), then a sender
 * delivers it to the W&B-protocol server (sender.ts): W&B itself, or any server that speaks
 * the protocol, ours included. `getRun` (for resume) asks the server by RunResumeStatus.
 * Reads the tracker never makes are refused.
 */
import { hostname } from "node:os";
import {
  decodeHistoryLine,
  decodeWandbConfig,
  encodeEventsLine,
  encodeHistoryLine,
  encodeOutputLine,
  encodeWandbConfig,
  FILE_STREAM_FILES,
  parseWandbJson,
  stringifyWandbJson,
  withPrunedTag,
} from "../../protocol/wandb/index.js";
import { batchToRows, type HistoryBatch } from "../../store/history-batch.js";
import { newRunRecord, processStartToken } from "../../store/run-record.js";
import {
  type ConsoleLine,
  type HistoryRow,
  type RunInit,
  type RunPatch,
  type RunRecord,
  type Store,
  StoreError,
  type SystemSample,
} from "../../store/types.js";
import { WandbSender, wandbAuth } from "./sender.js";
import { type SpoolRun, type STREAM_FILES, WandbSpool } from "./spool.js";
import { deliverLeftovers } from "./sync.js";

/** Options of {@link WandbOnlineStore}. */
export interface WandbOnlineOptions {
  /** Run folder root; spools go to `<dir>/wandb-spool/`. */
  dir: string;
  /** The server, without a trailing slash (`https://api.wandb.ai`, `http://127.0.0.1:8080`). */
  baseUrl: string;
  apiKey: string | undefined;
  /** The entity runs are logged under (default: the server's choice, `amltk` on ours). */
  entity: string | null;
  /** The longest `close` waits for delivery, in ms. */
  finishTimeoutMs: number;
  /** The project `getRun` asks the server about (W&B run ids are per project). */
  project: string;
}

/** A run the server already has (from RunResumeStatus): its record and its line counts. */
interface KnownRun {
  record: RunRecord;
  counts: Record<(typeof STREAM_FILES)[number], number>;
}

const HEARTBEAT_MS = 30_000;

export class WandbOnlineStore implements Store {
  readonly kind = "wandb-online";
  readonly #spools = new Map<
    string,
    { spool: WandbSpool; sender: WandbSender; createdAt: number }
  >();
  readonly #known = new Map<string, KnownRun>();
  readonly #leftovers: Promise<void>;
  readonly #heartbeat: NodeJS.Timeout;

  constructor(readonly opts: WandbOnlineOptions) {
    this.#leftovers = deliverLeftovers({
      dir: opts.dir,
      apiKey: opts.apiKey,
      onlyBaseUrl: opts.baseUrl,
      timeoutMs: opts.finishTimeoutMs,
    });
    this.#heartbeat = setInterval(() => {
      for (const s of this.#spools.values()) s.sender.heartbeat(HEARTBEAT_MS);
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  #open(
    run: RunInit | RunRecord,
    counts?: KnownRun["counts"],
  ): { spool: WandbSpool; sender: WandbSender; createdAt: number } {
    const base = {
      [FILE_STREAM_FILES.history]: 0,
      [FILE_STREAM_FILES.events]: 0,
      [FILE_STREAM_FILES.output]: 0,
      ...counts,
    } as SpoolRun["base"];
    const spool = WandbSpool.create(this.opts.dir, {
      baseUrl: this.opts.baseUrl,
      entity: this.opts.entity ?? run.entity ?? null,
      project: run.project,
      runId: run.id,
      pid: process.pid,
      ownerStart: processStartToken(process.pid),
      host: hostname(),
      base,
      vars: {
        version: 1,
        value: {
          name: run.id,
          project: run.project,
          entity: this.opts.entity ?? run.entity ?? null,
          displayName: run.name,
          notes: run.notes ?? null,
          tags: [...(run.tags ?? [])],
          groupName: run.group ?? null,
          jobType: run.jobType ?? null,
          host: hostname(),
          config: encodeWandbConfig(run.config ?? {}),
        },
      },
      summary: { version: 0, line: null },
      exitcode: null,
    });
    const entry = {
      spool,
      sender: new WandbSender(spool, this.opts.apiKey),
      createdAt: run.createdAt,
    };
    this.#spools.set(run.id, entry);
    entry.sender.kick();
    return entry;
  }

  #entry(runId: string) {
    const e = this.#spools.get(runId);
    if (e) return e;
    const known = this.#known.get(runId);
    if (!known) throw new StoreError(`unknown run id ${JSON.stringify(runId)}`, "not_found");
    return this.#open(known.record, known.counts);
  }

  createRun(run: RunInit): Promise<RunRecord> {
    this.#open(run);
    return Promise.resolve(newRunRecord(run));
  }

  /** Asks the server (RunResumeStatus); an unreachable server reads as "no such run". */
  async getRun(id: string): Promise<RunRecord | undefined> {
    const known = await this.#resumeStatus(id).catch(() => undefined);
    if (known) this.#known.set(id, known);
    return known?.record;
  }

  #resumeStatus(id: string): Promise<KnownRun | undefined> {
    return resumeStatus(this.opts, id, this.opts.project);
  }

  updateRun(id: string, patch: RunPatch): Promise<void> {
    this.updateRunSync(id, patch);
    return Promise.resolve();
  }

  updateRunSync(id: string, patch: RunPatch): void {
    const { spool, sender } = this.#entry(id);
    const run = spool.run;
    const vars = { ...run.vars.value };
    if (patch.config !== undefined) vars.config = encodeWandbConfig(patch.config);
    if (patch.name !== undefined) vars.displayName = patch.name;
    if (patch.notes !== undefined) vars.notes = patch.notes;
    if (patch.tags !== undefined) vars.tags = [...patch.tags];
    if (patch.group !== undefined) vars.groupName = patch.group;
    if (patch.jobType !== undefined) vars.jobType = patch.jobType;
    // W&B has no pruned state: the run ends with exit code 0 and the tag "pruned".
    if (patch.state === "pruned")
      vars.tags = withPrunedTag((vars.tags as string[] | undefined) ?? []);
    let changed = false;
    if (JSON.stringify(vars) !== JSON.stringify(run.vars.value)) {
      run.vars = { version: run.vars.version + 1, value: vars };
      changed = true;
    }
    if (patch.summary !== undefined) {
      run.summary = { version: run.summary.version + 1, line: stringifyWandbJson(patch.summary) };
      changed = true;
    }
    if (patch.state !== undefined && patch.state !== "running") {
      // W&B has no pruned state: a pruned run ends with its code (0), like a finished one.
      run.exitcode =
        patch.exitCode ?? (patch.state === "finished" || patch.state === "pruned" ? 0 : 1);
      changed = true;
    } else if (patch.state === "running") {
      run.exitcode = null;
      spool.acked.closed = false;
      changed = true;
    }
    if (!changed) return;
    spool.saveRun();
    sender.kick();
  }

  appendHistoryBatch(runId: string, batch: HistoryBatch): Promise<void> {
    this.appendHistoryBatchSync(runId, batch);
    return Promise.resolve();
  }

  appendHistoryBatchSync(runId: string, batch: HistoryBatch): void {
    if (batch.rows > 0) this.appendHistorySync(runId, batchToRows(batch));
  }

  appendHistory(runId: string, rows: readonly HistoryRow[]): Promise<void> {
    this.appendHistorySync(runId, rows);
    return Promise.resolve();
  }

  appendHistorySync(runId: string, rows: readonly HistoryRow[]): void {
    if (rows.length === 0) return;
    const { spool, sender } = this.#entry(runId);
    spool.append(
      FILE_STREAM_FILES.history,
      rows.map((r) => encodeHistoryLine(r)),
    );
    sender.kick();
  }

  appendSystem(runId: string, samples: readonly SystemSample[]): Promise<void> {
    if (samples.length === 0) return Promise.resolve();
    const { spool, sender, createdAt } = this.#entry(runId);
    const lines = samples.map((s) => {
      const values: Record<string, number> = {};
      for (const [k, v] of Object.entries(s.values)) values[wandbSystemKey(k)] = v;
      return encodeEventsLine({
        timestamp: s.timestamp,
        runtime: Math.max(0, s.timestamp - createdAt / 1000),
        values,
      });
    });
    spool.append(FILE_STREAM_FILES.events, lines);
    sender.kick();
    return Promise.resolve();
  }

  appendConsole(runId: string, lines: readonly ConsoleLine[]): Promise<void> {
    this.appendConsoleSync(runId, lines);
    return Promise.resolve();
  }

  appendConsoleSync(runId: string, lines: readonly ConsoleLine[]): void {
    if (lines.length === 0) return;
    const { spool, sender } = this.#entry(runId);
    spool.append(
      FILE_STREAM_FILES.output,
      lines.map((l) => JSON.stringify(encodeOutputLine(l))),
    );
    sender.kick();
  }

  /** Everything is on disk already (write-ahead); stop sending, the spool waits for sync. */
  persistSync(): void {
    for (const s of this.#spools.values()) s.sender.stop();
  }

  async listRuns(): Promise<{ runs: RunRecord[]; total: number }> {
    return this.#unavailable("listRuns");
  }
  async listProjects(): Promise<never> {
    return this.#unavailable("listProjects");
  }
  async deleteRun(): Promise<void> {
    this.#unavailable("deleteRun");
  }
  async readHistory(): Promise<HistoryRow[]> {
    return this.#unavailable("readHistory");
  }
  async readPoints(): Promise<never> {
    return this.#unavailable("readPoints");
  }
  async historyKeys(): Promise<never> {
    return this.#unavailable("historyKeys");
  }
  async readSeries(): Promise<never> {
    return this.#unavailable("readSeries");
  }
  async readConsole(): Promise<ConsoleLine[]> {
    return this.#unavailable("readConsole");
  }
  /** Crash detection is the server's job (heartbeats). */
  async reapCrashed(): Promise<string[]> {
    return [];
  }

  #unavailable(what: string): never {
    throw new StoreError(
      `W&B online store: ${what} is not available; read on the server`,
      "invalid",
    );
  }

  /**
   * Waits for delivery up to `finishTimeoutMs`; a spool delivered in full is removed, the rest
   * stays for the next `init` or `amltk sync`.
   */
  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    const t = this.opts.finishTimeoutMs;
    await Promise.all([
      ...[...this.#spools.values()].map(async ({ spool, sender }) => {
        const delivered = await sender.drain(t);
        sender.stop();
        if (delivered && spool.done) spool.remove();
        else spool.release();
      }),
      Promise.race([this.#leftovers, new Promise((r) => setTimeout(r, t).unref())]),
    ]);
  }
}

/** Our system metric names (`system/cpu`) as W&B's events file names them (`system.cpu`). */
function wandbSystemKey(key: string): string {
  if (key.startsWith("system/")) return `system.${key.slice("system/".length)}`;
  return key.startsWith("system.") ? key : `system.${key}`;
}

/** RunResumeStatus for `id`: the run's record and line counts, or undefined when absent. */
async function resumeStatus(
  o: WandbOnlineOptions,
  id: string,
  project: string,
): Promise<KnownRun | undefined> {
  const res = await fetch(`${o.baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...wandbAuth(o.apiKey) },
    body: JSON.stringify({
      query:
        'query RunResumeStatus($project: String, $entity: String, $name: String!) { model(name: $project, entityName: $entity) { id name entity { id name } bucket(name: $name, missingOk: true) { id name summaryMetrics displayName logLineCount historyLineCount eventsLineCount historyTail eventsTail config tags notes wandbConfig(keys: ["t"]) } } }',
      operationName: "RunResumeStatus",
      variables: { project, entity: o.entity, name: id },
    }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) return undefined;
  const body = (await res.json()) as {
    data?: { model?: { name: string; entity?: { name: string }; bucket?: Bucket | null } };
  };
  const model = body.data?.model;
  const b = model?.bucket;
  if (!model || !b) return undefined;
  const tail = (JSON.parse(b.historyTail ?? "[]") as string[]).map((l) => decodeHistoryLine(l));
  const lastStep = tail.reduce((m, h) => Math.max(m, h.step), -1);
  const record = newRunRecord({
    id,
    project: model.name,
    entity: model.entity?.name ?? null,
    name: b.displayName ?? id,
    notes: b.notes ?? null,
    tags: b.tags ?? [],
    config: b.config ? decodeWandbConfig(b.config).config : {},
    createdAt: Date.now(),
  });
  record.nextStep = lastStep + 1;
  record.summary = (
    b.summaryMetrics ? parseWandbJson(b.summaryMetrics) : {}
  ) as RunRecord["summary"];
  return {
    record,
    counts: {
      [FILE_STREAM_FILES.history]: b.historyLineCount ?? 0,
      [FILE_STREAM_FILES.events]: b.eventsLineCount ?? 0,
      [FILE_STREAM_FILES.output]: b.logLineCount ?? 0,
    },
  };
}

interface Bucket {
  displayName?: string | null;
  notes?: string | null;
  tags?: string[] | null;
  config?: string | null;
  summaryMetrics?: string | null;
  historyTail?: string | null;
  historyLineCount?: number | null;
  eventsLineCount?: number | null;
  logLineCount?: number | null;
}
