/**
 * What a W&B-protocol writer's spool held when it died (`<dir>/wandb-spool/<run>.<pid>.<hex>/`,
 * src/track/wandb-online/spool.ts), counted as the fault suite counts points: (key, step) pairs
 * of the history lines. A last line without its newline was cut short by the death: never
 * durable, not counted.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeHistoryLine } from "../../src/protocol/wandb/index.js";
import { STREAM_FILES, spoolRoot } from "../../src/track/wandb-online/spool.js";
import { firstRows, type Points } from "./fault-count.js";

/** What the spools of one run held. */
export interface WandbSpoolCount {
  points: Points;
  /** Spool folders of the run. */
  folders: string[];
  /** History files whose last line was cut short. */
  torn: number;
  /** The close each spool recorded (`run.json`'s `exitcode`; null: never closed). */
  exitcodes: (number | null)[];
}

/** The spool folders of `runId` under the run folder root `dir`. */
export function spoolFolders(dir: string, runId: string): string[] {
  const root = spoolRoot(dir);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => n.startsWith(`${runId}.`))
    .map((n) => join(root, n));
}

/** Reads every spool of `runId` under `dir`. */
export function readWandbSpool(dir: string, runId: string): WandbSpoolCount {
  const out: WandbSpoolCount = { points: firstRows(0), folders: [], torn: 0, exitcodes: [] };
  for (const folder of spoolFolders(dir, runId)) {
    out.folders.push(folder);
    const run = JSON.parse(readFileSync(join(folder, "run.json"), "utf8")) as {
      exitcode: number | null;
    };
    out.exitcodes.push(run.exitcode);
    const lines = readFileSync(join(folder, "wandb-history.jsonl"), "utf8").split("\n");
    if (lines.pop() !== "") out.torn++;
    for (const line of lines) {
      const { step, values } = decodeHistoryLine(line);
      for (const key of Object.keys(values)) out.points.get(key)?.add(step);
    }
  }
  return out;
}

/**
 * Forgets every acknowledgement a spool recorded, as if the writer died right after each
 * answer of the server and before writing `acked.json`: the next sync sends every line again,
 * and only the server's exactly-once by offset keeps them from being stored twice.
 */
export function forgetAcknowledgements(folder: string): void {
  const files = Object.fromEntries(STREAM_FILES.map((f) => [f, { line: 0, byte: 0 }]));
  writeFileSync(
    join(folder, "acked.json"),
    JSON.stringify({ files, vars: 0, summary: 0, closed: false }),
  );
}
