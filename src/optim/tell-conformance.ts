/**
 * The `tell()` conformance suite: one list of checks that every optimizer must pass, so that
 * bad reports get the same outcome everywhere (the contract of `BaseOptimizer.tell`). It is
 * test-framework free (it throws `AssertionError`s from `node:assert`), so a test file runs it
 * once per optimizer, and the author of a new optimizer can run it too.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Metric } from "../trial/metric.js";
import type { TrialReport } from "../trial/report.js";
import { Trial } from "../trial/trial.js";
import { GridSearch } from "./grid.js";
import { categorical, float, int } from "./space/builders.js";
import { SpaceError } from "./space/errors.js";
import { type SearchSpace, space } from "./space/search-space.js";
import { TellError } from "./tell-error.js";
import type { Optimizer } from "./types.js";

/**
 * How the suite builds and inspects the optimizer under test.
 *
 * @example
 * ```ts
 * const subject: TellSubject = {
 *   name: "RandomSearch",
 *   make: (o) => new RandomSearch(o),
 * };
 * ```
 */
export interface TellSubject {
  /** Shown in the case names. */
  readonly name: string;
  /** A fresh optimizer over `space`, minimizing `metrics`, with `seed`. */
  make(options: { space: SearchSpace; metrics: Metric[]; seed: number }): Optimizer;
  /** The best / non-dominated successful reports, where the optimizer keeps them. */
  best?(optimizer: Optimizer): readonly TrialReport[];
}

/**
 * One check of the suite: `run` throws an `AssertionError` when the subject breaks the contract.
 *
 * @example
 * ```ts
 * for (const c of tellConformance(subject)) c.run();
 * ```
 */
export interface TellCase {
  readonly name: string;
  run(): void;
}

const loss = new Metric("loss");

/** The suite's space: a float, an int and a categorical (a 5 × 10 × 2 grid at resolution 5). */
export function conformanceSpace(): SearchSpace {
  return space({ x: float(-5, 5), n: int(1, 10), kind: categorical(["a", "b"]) });
}

/** The loss the suite reports: smooth, with its best at x = 1, n = 3, kind "a". */
function lossOf(config: Record<string, unknown>): number {
  return (
    ((config.x as number) - 1) ** 2 +
    ((config.n as number) - 3) ** 2 / 10 +
    (config.kind === "a" ? 0 : 1)
  );
}

/** `n` rounds of ask, evaluate, tell; returns the reports told. */
function rounds(opt: Optimizer, n: number): TrialReport[] {
  const out: TrialReport[] = [];
  for (let i = 0; i < n; i++) {
    const t = opt.ask();
    const r = t.success({ loss: lossOf(t.config) });
    opt.tell(r);
    out.push(r);
  }
  return out;
}

/** A report of a trial no optimizer asked, with `config`. */
function foreign(name: string, config: Record<string, unknown>, metrics = [loss]): Trial {
  return new Trial({ name, config, metrics });
}

/** Asserts that `fn` throws an error of `type` with `code` (when given) and `value`. */
function refuses(
  fn: () => void,
  type: typeof TellError | typeof SpaceError,
  code: string,
  value: unknown,
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected a ${type.name}, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.deepEqual(e.value, value);
    return true;
  });
}

/** What the optimizer asks next, as comparable data. */
function nextAsks(opt: Optimizer, n: number): unknown[] {
  return opt.ask(n).map((t) => [t.name, t.config, t.seed]);
}

/**
 * The checks, for one optimizer. Every case builds its own optimizers (seed 1), so they run in
 * any order.
 *
 * @example
 * ```ts
 * import { describe, it } from "vitest";
 * describe.each(subjects)("$name.tell", (subject) => {
 *   it.each(tellConformance(subject))("$name", (c) => c.run());
 * });
 * ```
 */
export function tellConformance(subject: TellSubject): TellCase[] {
  const make = (seed = 1) => subject.make({ space: conformanceSpace(), metrics: [loss], seed });
  return [
    {
      name: "tell(undefined), null or a plain object: TellError invalid_report",
      run() {
        const opt = make();
        for (const bad of [undefined, null, {}, "trial-0001", { name: "x" }])
          refuses(() => opt.tell(bad as unknown as TrialReport), TellError, "invalid_report", bad);
        rounds(opt, 2);
      },
    },
    {
      name: "the same report twice (or another report of that trial): TellError duplicate_report",
      run() {
        const opt = make();
        const t = opt.ask();
        const r = t.success({ loss: 1 });
        opt.tell(r);
        for (let i = 0; i < 7; i++)
          refuses(() => opt.tell(r), TellError, "duplicate_report", t.name);
        refuses(() => opt.tell(t.fail(new Error("late"))), TellError, "duplicate_report", t.name);
        const best = subject.best?.(opt);
        if (best) assert.equal(best.filter((b) => b.name === t.name).length, 1);
      },
    },
    {
      name: "a foreign report outside the space: SpaceError naming the parameter and value",
      run() {
        const opt = make();
        const out = foreign("alien-1", { x: 99, n: 3, kind: "a" });
        refuses(() => opt.tell(out.success({ loss: 0 })), SpaceError, "invalid_space", 99);
        refuses(() => opt.tell(out.fail(new Error("x"))), SpaceError, "invalid_space", 99);
        const extra = foreign("alien-2", { x: 0, n: 3, kind: "a", depth: 4 });
        refuses(() => opt.tell(extra.success({ loss: 0 })), SpaceError, "invalid_space", 4);
        const wrong = foreign("alien-3", { x: 0, n: 3, kind: "c" });
        refuses(() => opt.tell(wrong.success({ loss: 0 })), SpaceError, "invalid_space", "c");
      },
    },
    {
      name: "a foreign report inside the space: accepted once (warm start)",
      run() {
        const opt = make();
        const warm = foreign("warm-1", { x: 1, n: 3, kind: "a" }).success({ loss: 0 });
        opt.tell(warm);
        refuses(() => opt.tell(warm), TellError, "duplicate_report", "warm-1");
        const best = subject.best?.(opt);
        if (best)
          assert.deepEqual(
            best.map((b) => b.name),
            ["warm-1"],
          );
        rounds(opt, 2);
      },
    },
    {
      name: "NaN and ±Infinity values: accepted as failed trials, never the best",
      run() {
        const opt = make();
        const [ok, ...odd] = opt.ask(4);
        opt.tell(ok.success({ loss: 5 }));
        for (const [t, v] of odd.map((t, i) => [t, [Number.NaN, Infinity, -Infinity][i]] as const))
          opt.tell(t.success({ loss: v }));
        const best = subject.best?.(opt);
        if (best)
          assert.deepEqual(
            best.map((b) => b.name),
            [ok.name],
          );
        rounds(opt, 12);
      },
    },
    {
      name: "a successful report without one of the metrics: TellError missing_metric",
      run() {
        const opt = make();
        const other = new Metric("other");
        const t = foreign("alien-4", { x: 0, n: 3, kind: "a" }, [other]);
        refuses(() => opt.tell(t.success({ other: 1 })), TellError, "missing_metric", "loss");
        // A failure need not carry values: accepted.
        opt.tell(t.fail(new Error("no values")));
      },
    },
    {
      name: "reports of a finished grid's trials: accepted as warm starts (in the space)",
      run() {
        const grid = new GridSearch({ space: conformanceSpace(), metrics: loss, resolution: 2 });
        const trials = grid.ask(grid.size);
        assert.equal(grid.exhausted, true);
        const reports = trials.map((t) => t.success({ loss: lossOf(t.config) }));
        // The grid itself takes its trials' reports after it ran out, once each.
        for (const r of reports) grid.tell(r);
        refuses(() => grid.tell(reports[0]), TellError, "duplicate_report", reports[0].name);
        const opt = make();
        for (const r of reports) opt.tell(r);
        refuses(() => opt.tell(reports[1]), TellError, "duplicate_report", reports[1].name);
      },
    },
    {
      name: "a refused report changes nothing: the same asks follow as without it",
      run() {
        const clean = make(7);
        rounds(clean, 12);
        const expected = nextAsks(clean, 3);
        const noisy = make(7);
        const told = rounds(noisy, 12);
        const bad: unknown[] = [
          undefined,
          told[0],
          foreign("alien-5", { x: 99, n: 1, kind: "a" }).success({ loss: -100 }),
          foreign("alien-6", { x: 0, n: 1, kind: "a" }, [new Metric("other")]).success({
            other: 0,
          }),
        ];
        for (const r of bad) assert.throws(() => noisy.tell(r as TrialReport));
        assert.deepEqual(nextAsks(noisy, 3), expected);
      },
    },
  ];
}
