/**
 * The checks a run's fields pass before they are written, shared by every backend (so all refuse
 * the same input with the same message); the history checks are in `history-checks.ts`.
 */
import { checkKey, checkValue } from "./sqlite/stored-values.js";
import { type RunInit, StoreError } from "./types.js";

export { checkKey, checkValue };

export function checkString(v: unknown, field: string, nullable: boolean): void {
  if (v === undefined || (nullable && v === null)) return;
  if (typeof v !== "string") {
    throw new StoreError(`${field} must be a string, got ${JSON.stringify(v)}`, "invalid");
  }
}

/** An owner token is a short string (owner.ts makes them), or null. */
export function checkOwnerStart(v: unknown): void {
  if (v === undefined || v === null) return;
  if (typeof v !== "string" || v.length > 200) {
    throw new StoreError(
      `ownerStart must be a string of at most 200 characters, got ${JSON.stringify(v).slice(0, 100)}`,
      "invalid",
    );
  }
}

export function checkTags(tags: unknown, field: string): void {
  if (tags === undefined) return;
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== "string")) {
    throw new StoreError(`${field} must be an array of strings`, "invalid");
  }
}

export function checkRecord(v: unknown, field: string): void {
  if (v === undefined) return;
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new StoreError(`${field} must be an object`, "invalid");
  }
  checkValue(v, field);
}

/**
 * Everything `createRun` checks before writing.
 *
 * In two parts of its own: a worker that runs a trial per run checks a run per trial, and V8
 * optimizes a function run once per trial only when it is large (see `Run`'s constructor in
 * track/run.ts): as one function this check was compiled, with its eight callees, near a worker's
 * 700th trial. The parts, without the for-of over an array literal (an array and the iterator
 * protocol per call) that it had, stay below that.
 */
export function checkRunInit(run: RunInit): void {
  checkRunNames(run);
  checkRunFields(run);
}

/** The id, project, name and the other string fields. */
function checkRunNames(run: RunInit): void {
  if (typeof run?.id !== "string" || !/^[A-Za-z0-9_.-]{1,128}$/.test(run.id)) {
    throw new StoreError(`invalid run id ${JSON.stringify(run?.id)}`, "invalid");
  }
  checkString(run.project, "project", false);
  checkString(run.name, "name", false);
  if (!run.project) throw new StoreError(`run ${run.id}: project must not be empty`, "invalid");
  // One call per field, not a loop: a loop's back edges count towards V8's tier-up too.
  checkString(run.entity, "entity", true);
  checkString(run.group, "group", true);
  checkString(run.jobType, "jobType", true);
  checkString(run.notes, "notes", true);
  checkString(run.host, "host", true);
}

/** The owner token, tags, config and creation time. */
function checkRunFields(run: RunInit): void {
  checkOwnerStart(run.ownerStart);
  checkTags(run.tags, "tags");
  checkRecord(run.config, "config");
  if (!Number.isFinite(run.createdAt)) {
    throw new StoreError(`run ${run.id}: invalid createdAt ${run.createdAt}`, "invalid");
  }
}
