/**
 * Decodes one `wandb_internal.Record` payload into a typed record. Field numbers were read off
 * real wandb 0.30 offline runs (test/fixtures/wandb-0.30), not taken from the `.proto` file:
 *
 * - Record: num 1, history 2, summary 3, config 5, files 6, stats 7, telemetry 11, metric 12,
 *   output_raw 13, control 16, run 17, exit 18, header 21, environment 26, _info 200.
 * - StatsRecord: stats_type 1, timestamp 2 (seconds 1, nanos 2), item 3 (key 1, value_json 16).
 * - OutputRawRecord: output_type 1 (STDERR 0, STDOUT 1), timestamp 2, line 3.
 * - FilesRecord: files 1 (repeated FilesItem: path 1, policy 2, type 3).
 * - HistoryRecord: item 1 (repeated HistoryItem), step 2 (HistoryStep: num 1).
 * - History/Summary/ConfigItem: key 1, nested_key 2 (repeated), value_json 16.
 *   wandb-core writes every history and summary key as nested_key, even flat ones.
 * - SummaryRecord and ConfigRecord: update 1, remove 2.
 * - RunRecord: run_id 1, entity 2, project 3, config 4, summary 5, group 6, job_type 7,
 *   display_name 8, notes 9, tags 10 (repeated), host 13, starting_step 14, start_time 17
 *   (seconds 1, nanos 2), resumed 18, resume 24.
 * - RunExitRecord: exit_code 1, runtime 2. MetricRecord: name 1.
 */
import { Message, ProtobufError } from "./protobuf.js";
import { parseWandbJson } from "./wandb-json.js";

/**
 * One `key`/`nested_key` + `value_json` item; `path` has one part for a flat key.
 *
 * @example
 * ```ts
 * for await (const rec of readWandbLog(file)) {
 *   if (rec.kind !== "history") continue;
 *   const items: WandbItem[] = rec.items;
 *   for (const item of items) console.log(item.path.join("/"), item.value);
 * }
 * ```
 */
export interface WandbItem {
  path: string[];
  value: unknown;
}

/**
 * What a W&B `RunRecord` says about the run.
 *
 * @example
 * ```ts
 * for await (const rec of readWandbLog(file)) {
 *   if (rec.kind === "run") {
 *     const info: WandbRunInfo = rec.run;
 *     console.log(info.id, info.project, info.tags, info.config.length);
 *   }
 * }
 * ```
 */
export interface WandbRunInfo {
  id: string;
  entity?: string;
  project?: string;
  group?: string;
  jobType?: string;
  name?: string;
  notes?: string;
  tags: string[];
  host?: string;
  /** Epoch milliseconds. */
  startTime?: number;
  /** Set on the run record of a resumed run's later part. */
  resumed: boolean;
  config: WandbItem[];
  summary: WandbItem[];
}

/**
 * One decoded record of a `.wandb` log. `offset` is its byte offset in the file, `num` W&B's
 * record counter. Records this importer does not use (files, stats, telemetry, ...) come as
 * `other` with their `wandb_internal.Record` field number.
 *
 * @example
 * ```ts
 * const records: AsyncGenerator<WandbRecord> = readWandbLog(file);
 * for await (const rec of records) {
 *   if (rec.kind === "history") console.log(rec.step, rec.items.length);
 *   else if (rec.kind === "exit") console.log("exit code", rec.exitCode);
 * }
 * ```
 */
export type WandbRecord = { offset: number; num: number } & (
  | { kind: "header"; version?: string }
  | { kind: "run"; run: WandbRunInfo }
  | { kind: "history"; step?: number | bigint; items: WandbItem[] }
  | { kind: "summary"; update: WandbItem[]; remove: string[][] }
  | { kind: "config"; update: WandbItem[]; remove: string[][] }
  | { kind: "metric"; name: string }
  | { kind: "exit"; exitCode: number; runtime?: number }
  | { kind: "stats"; timestamp: number; items: WandbItem[] }
  | { kind: "output"; stream: "stdout" | "stderr"; timestamp: number; text: string }
  | { kind: "files"; paths: string[] }
  | { kind: "other"; field: number }
);

const RECORD_KINDS: Record<number, string> = {
  2: "history",
  3: "summary",
  5: "config",
  6: "files",
  7: "stats",
  13: "output",
  12: "metric",
  17: "run",
  18: "exit",
  21: "header",
};

function itemPath(item: Message): string[] {
  const nested = item.strings(2);
  if (nested.length > 0) return nested;
  return [item.string(1) ?? ""];
}

function items(list: Message[]): WandbItem[] {
  return list.map((m) => {
    const path = itemPath(m);
    const json = m.string(16);
    let value: unknown = null;
    if (json !== undefined && json !== "") {
      try {
        value = parseWandbJson(json);
      } catch {
        throw new ProtobufError(`value of "${path.join("/")}" is not JSON: ${json.slice(0, 80)}`);
      }
    }
    return { path, value };
  });
}

/** A `google.protobuf.Timestamp` (seconds 1, nanos 2) in epoch milliseconds. */
function timestampMs(m: Message | undefined): number | undefined {
  return m ? (m.int(1) ?? 0) * 1000 + (m.int(2) ?? 0) / 1e6 : undefined;
}

/** A step as a number when it is a safe integer, else the exact bigint (the importer drops those). */
function stepOf(m: Message | undefined): number | bigint | undefined {
  const v = m?.bigint(1);
  if (v === undefined) return m ? 0 : undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}

function runInfo(m: Message): WandbRunInfo {
  const start = timestampMs(m.message(17));
  const cfg = m.message(4);
  const sum = m.message(5);
  return {
    id: m.string(1) ?? "",
    entity: m.string(2) || undefined,
    project: m.string(3) || undefined,
    group: m.string(6) || undefined,
    jobType: m.string(7) || undefined,
    name: m.string(8) || undefined,
    notes: m.string(9) || undefined,
    tags: m.strings(10),
    host: m.string(13) || undefined,
    startTime: start === undefined ? undefined : Math.floor(start),
    resumed: (m.int(18) ?? 0) !== 0 || (m.int(24) ?? 0) !== 0,
    config: cfg ? items(cfg.messages(1)) : [],
    summary: sum ? items(sum.messages(1)) : [],
  };
}

/** Decodes a record payload; throws `ProtobufError` for bytes that are not a Record. */
export function decodeWandbRecord(payload: Uint8Array, offset: number): WandbRecord {
  const rec = new Message(payload);
  const num = rec.int(1) ?? 0;
  const field = rec.fields.find((f) => RECORD_KINDS[f.no] !== undefined)?.no;
  const body = field !== undefined ? rec.message(field) : undefined;
  if (field === undefined || body === undefined) {
    const other = rec.fields.find((f) => f.no !== 1 && f.no !== 16 && f.no !== 200)?.no ?? 0;
    return { offset, num, kind: "other", field: other };
  }
  switch (field) {
    case 2:
      return {
        offset,
        num,
        kind: "history",
        step: stepOf(body.message(2)),
        items: items(body.messages(1)),
      };
    case 6:
      return { offset, num, kind: "files", paths: body.messages(1).map((f) => f.string(1) ?? "") };
    case 7:
      return {
        offset,
        num,
        kind: "stats",
        timestamp: (timestampMs(body.message(2)) ?? 0) / 1000,
        items: items(body.messages(3)),
      };
    case 13:
      return {
        offset,
        num,
        kind: "output",
        stream: body.int(1) === 1 ? "stdout" : "stderr",
        timestamp: (timestampMs(body.message(2)) ?? 0) / 1000,
        text: body.string(3) ?? "",
      };
    case 3:
    case 5:
      return {
        offset,
        num,
        kind: field === 3 ? "summary" : "config",
        update: items(body.messages(1)),
        remove: body.messages(2).map(itemPath),
      };
    case 12:
      return { offset, num, kind: "metric", name: body.string(1) ?? "" };
    case 17:
      return { offset, num, kind: "run", run: runInfo(body) };
    case 18:
      return { offset, num, kind: "exit", exitCode: body.int(1) ?? 0, runtime: body.int(2) };
    default: {
      const version = body.message(1)?.string(1);
      return { offset, num, kind: "header", version };
    }
  }
}
