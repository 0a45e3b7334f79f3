/**
 * A run's state as the dashboard shows it: the store's state (`pruned` is a state of its own
 * since the W&B plugin and sweeps close a pruned trial's run `pruned`), except that a run
 * stored before that, failed with the exception "Pruned at step N" (how a pruned trial was
 * recorded then), still reads `pruned`.
 */
import type { Run } from "./api.js";

export type RunStatus = Run["state"];

export function runStatus(r: Pick<Run, "state" | "summary">): RunStatus {
  if (r.state !== "failed") return r.state;
  const ex = r.summary?.exception;
  return typeof ex === "string" && /^Pruned\b/.test(ex) ? "pruned" : r.state;
}
