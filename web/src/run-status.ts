/**
 * A run's state as the dashboard shows it: the store's state, except that a failed trial the
 * pruner stopped reads `pruned` (amltk records a pruned trial as a failed report whose
 * exception is "Pruned at step N", and the W&B plugin logs it as the run's `exception`).
 * The store has no `pruned` state of its own yet.
 */
import type { Run } from "./api.js";

export type RunStatus = Run["state"] | "pruned";

export function runStatus(r: Pick<Run, "state" | "summary">): RunStatus {
  const ex = r.summary?.exception;
  if (r.state === "failed" && typeof ex === "string" && /^Pruned\b/.test(ex)) return "pruned";
  return r.state;
}
