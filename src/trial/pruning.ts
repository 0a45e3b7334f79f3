/**
 * Trial-side early stopping: `trial.report(step, value)` records intermediate values and
 * `await trial.shouldPrune()` asks a pruner whether to stop.
 *
 * How the pruner is reached:
 * - in-process (sequential executor): the host attaches the pruner to the very trial object
 *   ({@link attachPruner}; `optimize` does it), and `shouldPrune` calls it directly;
 * - in worker threads/processes: through the trial's Comm handle (`trial.plugins.comm`,
 *   present when the task has the Comm plugin; `optimize` adds it when given a pruner): values
 *   are sent as messages, and `shouldPrune` is a request the host answers with
 *   {@link answerPruning};
 * - with neither, there is no pruner: `shouldPrune` resolves `false` (as Optuna does without
 *   a pruner), so the same function runs with or without pruning.
 *
 * A pruned trial should return `trial.fail(new Pruned(step))`: status `"fail"` with the
 * exception `"Pruned at step N"` ({@link isPruned} recognizes it). `TrialStatus` stays as it
 * is, so histories, CSVs and dashboards need no new status; optimizers treat a pruned trial
 * like a failed one.
 *
 * @module
 */

import type { Pruner } from "../optim/types.js";
import { AmltkError } from "../shared/errors.js";
import { decodeNumber, encodeNumber, type JSONNumber, type TrialReport } from "./report.js";
import type { Trial } from "./trial.js";

/**
 * The summary key under which a trial's intermediate values travel in its report.
 *
 * @example
 * ```ts
 * report.summary[INTERMEDIATE_KEY]; // { "0": 0.9, "1": 0.7 } (non-finite values as "nan"/"inf")
 * ```
 */
export const INTERMEDIATE_KEY = "intermediate";

/**
 * The `type` of the Comm messages and requests this module sends (others are left alone).
 *
 * @example
 * ```ts
 * task.on("onCommMessage", (msg) => {
 *   if ((msg.data as { type?: string }).type === PRUNING_MESSAGE) return; // pruning traffic
 * });
 * ```
 */
export const PRUNING_MESSAGE = "amltk:pruning";

/**
 * The error a pruned trial fails with.
 * Code `pruned`.
 *
 * @example
 * ```ts
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   trial.report(epoch, validationLoss(epoch));
 *   if (await trial.shouldPrune()) return trial.fail(new Pruned(epoch));
 * }
 * ```
 */
export class Pruned extends AmltkError<"pruned"> {
  /** The step at which the trial was pruned, if given. */
  readonly step: number | undefined;
  constructor(step?: number) {
    super("pruned", step === undefined ? "Pruned" : `Pruned at step ${step}`);
    this.name = "Pruned";
    this.step = step;
  }
}

/**
 * Whether `report` is the report of a pruned trial (it failed with {@link Pruned}).
 *
 * @example
 * ```ts
 * history.filter(isPruned).length; // how many trials stopped early
 * ```
 */
export function isPruned(report: Pick<TrialReport, "status" | "exception">): boolean {
  return (
    report.status === "fail" &&
    typeof report.exception === "string" &&
    /^Pruned( at step \d+)?$/.test(report.exception)
  );
}

/**
 * How a trial reaches its pruner; see the module notes.
 *
 * @example
 * ```ts
 * const viaHttp: PruningChannel = {
 *   report: (name, step, value) => void post("/report", { name, step, value }),
 *   shouldPrune: async (name) => (await post("/should-prune", { name })).prune,
 * };
 * ```
 */
export interface PruningChannel {
  /** Forwards one new intermediate value. */
  report(trialName: string, step: number, value: number): void;
  /** Asks the pruner; `values` are all of the trial's values so far, in step order. */
  shouldPrune(trialName: string, values: [number, number][]): boolean | Promise<boolean>;
}

/** Per trial object: its values (authoritative even if user code replaces `trial.summary`). */
const valuesOf = new WeakMap<Trial, Map<number, number>>();
const channelOf = new WeakMap<Trial, PruningChannel>();

/**
 * Connects `trial` to `pruner` in this process: {@link Trial.report} forwards to
 * `pruner.report`, {@link Trial.shouldPrune} answers with `pruner.shouldPrune`. For trials
 * that run in the caller's process (sequential executor); `optimize` does this for you.
 *
 * @example
 * ```ts
 * const pruner = new MedianPruner();
 * const trial = new Trial({ name: "t1", config: {} });
 * attachPruner(trial, pruner);
 * trial.report(0, 0.9);
 * await trial.shouldPrune(); // pruner.shouldPrune("t1")
 * ```
 */
export function attachPruner(trial: Trial, pruner: Pick<Pruner, "report" | "shouldPrune">): void {
  channelOf.set(trial, {
    report: (name, step, value) => pruner.report(name, step, value),
    shouldPrune: (name) => pruner.shouldPrune(name),
  });
}

/**
 * Connects `trial` to a custom {@link PruningChannel} (e.g. a pruner in another service).
 *
 * @example
 * ```ts
 * attachPruningChannel(trial, { report: () => {}, shouldPrune: () => false });
 * ```
 */
export function attachPruningChannel(trial: Trial, channel: PruningChannel): void {
  channelOf.set(trial, channel);
}

interface CommLike {
  send(data: unknown): unknown;
  request(data: unknown, options?: { timeout?: number }): Promise<unknown>;
}

function commOf(trial: Trial): CommLike | undefined {
  const c = trial.plugins.comm as Partial<CommLike> | undefined;
  return c && typeof c.send === "function" && typeof c.request === "function"
    ? (c as CommLike)
    : undefined;
}

/** Seconds a worker waits for the host to answer `shouldPrune` before giving up. */
export const PRUNING_REQUEST_TIMEOUT_S = 60;

function commChannel(comm: CommLike): PruningChannel {
  return {
    report: (trial, step, value) => {
      try {
        comm.send({
          type: PRUNING_MESSAGE,
          kind: "report",
          trial,
          step,
          value: encodeNumber(value),
        });
      } catch {
        // Best effort (e.g. the user closed the channel): the value stays on the trial, and
        // shouldPrune requests and the final report carry it anyway.
      }
    },
    shouldPrune: async (trial, values) => {
      // The request repeats every value, so the answer never depends on message ordering.
      const answer = await comm.request(
        {
          type: PRUNING_MESSAGE,
          kind: "shouldPrune",
          trial,
          values: values.map(([s, v]) => [s, encodeNumber(v)]),
        },
        { timeout: PRUNING_REQUEST_TIMEOUT_S },
      );
      if (typeof answer !== "boolean") {
        throw new TypeError(
          `Trial "${trial}": the host answered shouldPrune with ${JSON.stringify(answer)}, ` +
            "not a boolean: is a pruner attached there (optimize({ pruner }) or answerPruning)?",
        );
      }
      return answer;
    },
  };
}

/**
 * Implementation of `trial.report(step, value)` (call that instead): validates, keeps the value on the trial and
 * in `trial.summary.intermediate` (so it reaches the report), and forwards it to the pruner.
 * A step reported again keeps its first value (as Optuna does).
 *
 * @example
 * ```ts
 * reportIntermediate(trial, 0, 0.9); // = trial.report(0, 0.9)
 * ```
 */
export function reportIntermediate(trial: Trial, step: number, value: number): void {
  if (!Number.isInteger(step) || step < 0) {
    throw new RangeError(
      `Trial "${trial.name}": report step must be an integer >= 0, got ${String(step)}`,
    );
  }
  if (typeof value !== "number") {
    throw new TypeError(
      `Trial "${trial.name}": report value must be a number, got ${typeof value} at step ${step}`,
    );
  }
  let values = valuesOf.get(trial);
  if (!values) {
    values = new Map();
    valuesOf.set(trial, values);
  }
  if (values.has(step)) return;
  values.set(step, value);
  const inSummary = trial.summary[INTERMEDIATE_KEY];
  const record: Record<string, JSONNumber> =
    inSummary && typeof inSummary === "object" ? (inSummary as Record<string, JSONNumber>) : {};
  record[String(step)] = encodeNumber(value);
  trial.summary[INTERMEDIATE_KEY] = record;
  const channel = channelOf.get(trial) ?? comm(trial);
  channel?.report(trial.name, step, value);
}

function comm(trial: Trial): PruningChannel | undefined {
  const c = commOf(trial);
  return c ? commChannel(c) : undefined;
}

/**
 * Implementation of `trial.shouldPrune()` (call that instead); see the module notes for how it
 * is answered.
 *
 * @example
 * ```ts
 * if (await askShouldPrune(trial)) return trial.fail(new Pruned(step)); // = trial.shouldPrune()
 * ```
 */
export async function askShouldPrune(trial: Trial): Promise<boolean> {
  const channel = channelOf.get(trial) ?? comm(trial);
  if (!channel) return false;
  const values = [...(valuesOf.get(trial) ?? new Map<number, number>()).entries()].sort(
    (a, b) => a[0] - b[0],
  );
  return await channel.shouldPrune(trial.name, values);
}

/**
 * A trial's intermediate values, step -> value, from the trial itself or from its report.
 *
 * @example
 * ```ts
 * intermediateValues(report); // Map { 0 => 0.9, 1 => 0.7 }
 * ```
 */
export function intermediateValues(of: Trial | TrialReport): Map<number, number> {
  const own = valuesOf.get(of as Trial);
  if (own) return new Map([...own].sort((a, b) => a[0] - b[0]));
  const raw = of.summary[INTERMEDIATE_KEY];
  const out = new Map<number, number>();
  if (!raw || typeof raw !== "object") return out;
  const entries = Object.entries(raw as Record<string, unknown>)
    .map(([k, v]) => [Number(k), decodeNumber(v)] as [number, number])
    .filter(([k]) => Number.isInteger(k) && k >= 0)
    .sort((a, b) => a[0] - b[0]);
  for (const [k, v] of entries) out.set(k, v);
  return out;
}

/**
 * Host side of the Comm protocol: if `data` is a pruning message from a worker, applies it to
 * `pruner` and returns `{ handled: true, answer }` (`answer` is the boolean to respond with,
 * for a request); otherwise `{ handled: false }` so other Comm traffic is left to its owner.
 *
 * @example
 * ```ts
 * task.on("onCommRequest", (msg) => {
 *   const r = answerPruning(pruner, msg.data);
 *   if (r.handled) msg.respond(r.answer);
 * });
 * task.on("onCommMessage", (msg) => answerPruning(pruner, msg.data));
 * ```
 */
export function answerPruning(
  pruner: Pick<Pruner, "report" | "shouldPrune">,
  data: unknown,
): { handled: false } | { handled: true; answer?: boolean } {
  const m = data as {
    type?: unknown;
    kind?: unknown;
    trial?: unknown;
    step?: unknown;
    value?: unknown;
    values?: unknown;
  } | null;
  if (!m || typeof m !== "object" || m.type !== PRUNING_MESSAGE || typeof m.trial !== "string") {
    return { handled: false };
  }
  if (m.kind === "report") {
    pruner.report(m.trial, m.step as number, decodeNumber(m.value));
    return { handled: true };
  }
  if (m.kind === "shouldPrune") {
    for (const [step, value] of Array.isArray(m.values) ? (m.values as [number, unknown][]) : []) {
      pruner.report(m.trial, step, decodeNumber(value));
    }
    return { handled: true, answer: pruner.shouldPrune(m.trial) };
  }
  return { handled: false };
}
