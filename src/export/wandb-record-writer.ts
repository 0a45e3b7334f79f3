/**
 * Encodes the `wandb_internal.Record`s of an exported run with @bufbuild/protobuf's writer.
 * Field numbers are those the importer reads (`src/import/wandb-records.ts`), checked against
 * wandb 0.30's `wandb_internal.proto` descriptor; values travel as `value_json` strings, as
 * wandb writes them (NaN and Infinity as Python's bare tokens).
 *
 * @module
 */
import { MessageWriter } from "../import/protobuf.js";
import { toWandbJson } from "../import/wandb-json.js";
import type { ConsoleLine, HistoryRow, RunRecord, SystemSample } from "../store/types.js";

/** `wandb_internal.Record` oneof fields. */
const R = {
  history: 2,
  summary: 3,
  config: 5,
  files: 6,
  stats: 7,
  outputRaw: 13,
  run: 17,
  exit: 18,
  header: 21,
} as const;

/** wandb's OutputRawRecord.OutputType. */
const STDERR = 0;
const STDOUT = 1;
/** wandb's FilesItem.PolicyType: upload at the end. */
const POLICY_END = 1;

/** Numbers each record (W&B's `num`, 1, 2, 3, ... in log order) and encodes it. */
export class RecordEncoder {
  private num = 0;
  /** Reused for every history row (`finish` resets it): no writer allocated per row. */
  private readonly rowWriter = new MessageWriter();
  /** UTF-8 bytes of each history key seen: a long run repeats the same few keys. */
  private readonly keyBytes = new Map<string, Uint8Array>();

  constructor(private readonly producer: string) {}

  private record(field: number, body: MessageWriter): Uint8Array {
    return new MessageWriter()
      .int(1, ++this.num)
      .message(field, body)
      .finish();
  }

  header(): Uint8Array {
    // min_consumer as wandb 0.30 writes it; wandb-core reads any log of header version 0.
    const version = new MessageWriter().string(1, this.producer).string(2, "0.70.0");
    return this.record(R.header, new MessageWriter().message(1, version));
  }

  run(run: RunRecord): Uint8Array {
    const config = new MessageWriter();
    for (const [key, value] of Object.entries(run.config)) {
      // Config items carry a plain `key`, as wandb writes them.
      config.message(1, new MessageWriter().string(1, key).string(16, toWandbJson(value)));
    }
    const body = new MessageWriter()
      .string(1, run.id)
      .string(2, run.entity)
      .string(3, run.project)
      .message(4, config)
      .string(6, run.group)
      .string(7, run.jobType)
      .string(8, run.name)
      .string(9, run.notes)
      .strings(10, run.tags)
      .string(13, run.host)
      .message(17, timestamp(run.createdAt / 1000));
    return this.record(R.run, body);
  }

  /** The hot path of a long export: one writer, nested messages opened and closed in place. */
  history(row: HistoryRow): Uint8Array {
    const w = this.rowWriter.int(1, ++this.num).begin(R.history);
    for (const key in row.values) this.putItem(w, key, row.values[key]);
    this.putItem(w, "_step", row.step);
    this.putItem(w, "_runtime", row.runtime);
    this.putItem(w, "_timestamp", row.timestamp);
    return w.begin(2).int(1, row.step).end().end().finish();
  }

  /** A history item as field 1 of the message `w` is writing. */
  private putItem(w: MessageWriter, key: string, value: unknown): void {
    let bytes = this.keyBytes.get(key);
    if (!bytes) {
      bytes = utf8.encode(key);
      if (this.keyBytes.size < 10_000) this.keyBytes.set(key, bytes);
    }
    w.begin(1).utf8(2, bytes).string(16, toWandbJson(value)).end();
  }

  summary(summary: Record<string, unknown>): Uint8Array {
    const body = new MessageWriter();
    for (const [key, value] of Object.entries(summary)) body.message(1, item(key, value));
    return this.record(R.summary, body);
  }

  stats(sample: SystemSample): Uint8Array {
    const body = new MessageWriter().message(2, timestamp(sample.timestamp));
    for (const [key, value] of Object.entries(sample.values)) {
      const statsKey = wandbStatsKey(key);
      body.message(3, new MessageWriter().string(1, statsKey).string(16, toWandbJson(value)));
    }
    return this.record(R.stats, body);
  }

  output(line: ConsoleLine): Uint8Array {
    const body = new MessageWriter()
      .int(1, line.stream === "stdout" ? STDOUT : STDERR)
      .message(2, timestamp(line.timestamp))
      .string(3, `${line.text}\n`);
    return this.record(R.outputRaw, body);
  }

  /** Paths relative to the run folder's `files/`. */
  files(paths: readonly string[]): Uint8Array {
    const body = new MessageWriter();
    for (const p of paths) body.message(1, new MessageWriter().string(1, p).int(2, POLICY_END));
    return this.record(R.files, body);
  }

  exit(exitCode: number, runtimeSeconds: number): Uint8Array {
    const body = new MessageWriter()
      .int(1, exitCode)
      .int(2, Math.max(0, Math.round(runtimeSeconds)));
    return this.record(R.exit, body);
  }
}

/** A History/Summary/ConfigItem: the key as a one-part `nested_key`, as wandb-core writes it. */
function item(key: string, value: unknown): MessageWriter {
  return new MessageWriter().strings(2, [key]).string(16, toWandbJson(value));
}

const utf8 = new TextEncoder();

/**
 * A system metric's key as a StatsRecord item: W&B adds `system.` itself, so a key imported
 * from W&B (`system.cpu`) or one of our tracker's (`system/cpu`) loses its prefix.
 */
function wandbStatsKey(key: string): string {
  return key.startsWith("system.") || key.startsWith("system/") ? key.slice(7) : key;
}

/** A `google.protobuf.Timestamp` from epoch seconds. */
function timestamp(seconds: number): MessageWriter {
  const whole = Math.floor(seconds);
  const nanos = Math.round((seconds - whole) * 1e9);
  return new MessageWriter().int(1, whole).int(2, Math.min(nanos, 999_999_999));
}
