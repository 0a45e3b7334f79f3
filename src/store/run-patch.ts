/**
 * A run patch, checked, as the columns it sets: one place for every backend, so all refuse the
 * same patch with the same message. Each backend only writes the SQL and encodes the tags (JSON
 * text in SQLite, `text[]` in PostgreSQL).
 */
import { encodeJson } from "../shared/json-numbers.js";
import { checkOwnerStart, checkRecord, checkString, checkTags } from "./run-checks.js";
import { RUN_STATES } from "./run-record.js";
import { type RunPatch, StoreError } from "./types.js";

/** One column a patch sets and the value to store in it. */
export type RunPatchColumn = [column: string, value: unknown];

// The field tables below are made once: a patch is checked per run write (a trial's finish).

/** The string fields of a patch and their columns. */
const STRING_FIELDS = [
  ["name", "name"],
  ["notes", "notes"],
  ["group", "grp"],
  ["jobType", "job_type"],
  ["host", "host"],
] as const;

/** The number fields of a patch and their columns. */
const NUMBER_FIELDS = [
  ["exitCode", "exit_code"],
  ["finishedAt", "finished_at"],
  ["heartbeatAt", "heartbeat_at"],
  ["pid", "pid"],
] as const;

/**
 * The columns a patch sets, in a fixed order, with checked values (StoreError "invalid" naming
 * the bad field); `encodeTags` turns the checked tags into the backend's column value.
 */
export function runPatchColumns(
  patch: RunPatch,
  encodeTags: (tags: readonly string[]) => unknown,
): RunPatchColumn[] {
  // In three parts: a run's closing patch is checked once per trial, and one ~650-byte function
  // was optimized (with its callees inlined) near a worker's 500th trial; see `Run`'s
  // constructor in track/run.ts on V8's tier-up rule.
  const columns: RunPatchColumn[] = [];
  pushStringColumns(patch, columns);
  pushOtherColumns(patch, encodeTags, columns);
  pushNumberColumns(patch, columns);
  return columns;
}

/*
 * Indexed loops, not `for (const [f, col] of ...)`: a destructured for-of is several times the
 * bytecode (the iterator protocol per pair), interpreted and then optimized anew by every worker
 * process that closes trial-sized runs.
 */

function pushStringColumns(patch: RunPatch, columns: RunPatchColumn[]): void {
  for (let i = 0; i < STRING_FIELDS.length; i++) {
    const f = STRING_FIELDS[i][0];
    if (patch[f] === undefined) continue;
    checkString(patch[f], f, f !== "name");
    columns.push([STRING_FIELDS[i][1], patch[f]]);
  }
}

function pushOtherColumns(
  patch: RunPatch,
  encodeTags: (tags: readonly string[]) => unknown,
  columns: RunPatchColumn[],
): void {
  if (patch.ownerStart !== undefined) {
    checkOwnerStart(patch.ownerStart);
    columns.push(["owner_start", patch.ownerStart]);
  } else if (patch.pid !== undefined) {
    // The token names the old pid's process: kept with a new pid it would read as PID reuse.
    columns.push(["owner_start", null]);
  }
  if (patch.tags !== undefined) {
    checkTags(patch.tags, "tags");
    columns.push(["tags", encodeTags(patch.tags)]);
  }
  if (patch.config !== undefined) {
    checkRecord(patch.config, "config");
    columns.push(["config", encodeJson(patch.config)]);
  }
  if (patch.summary !== undefined) {
    checkRecord(patch.summary, "summary");
    columns.push(["summary", encodeJson(patch.summary)]);
  }
  if (patch.state !== undefined) {
    if (!RUN_STATES.includes(patch.state)) {
      throw new StoreError(`invalid state ${JSON.stringify(patch.state)}`, "invalid");
    }
    columns.push(["state", patch.state]);
  }
}

function pushNumberColumns(patch: RunPatch, columns: RunPatchColumn[]): void {
  for (let i = 0; i < NUMBER_FIELDS.length; i++) {
    const f = NUMBER_FIELDS[i][0];
    const v = patch[f];
    if (v === undefined) continue;
    if ((v !== null || f === "heartbeatAt") && !Number.isFinite(v)) {
      throw new StoreError(`${f}: invalid number ${JSON.stringify(v)}`, "invalid");
    }
    columns.push([NUMBER_FIELDS[i][1], v]);
  }
}
