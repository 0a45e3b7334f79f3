/**
 * A durable sweep's driver killed with SIGKILL and started again with the same name: every
 * trial asked once, none evaluated twice, none lost, none left running, checked against the
 * SQLite store and a log of evaluations the workers write. Real driver and worker processes
 * (the processes executor), real SIGKILL at seeded points: right after an ask is journaled
 * and before its call is submitted, and mid-sweep with results in flight. NSGA-II resumed
 * mid-generation keeps counting the same generations. `AMLTK_FAULT_SEED` replays a run.
 */
import { afterEach, describe, expect, it } from "vitest";
import { skipBecause } from "../skip.js";
import { draw, ended, SweepHarness } from "./sweep-harness.js";

const SEED = Number(process.env.AMLTK_FAULT_SEED ?? Date.now() % 100_000);
console.log(`sweep-resume: AMLTK_FAULT_SEED=${SEED}`);

let h: SweepHarness | undefined;
afterEach(() => {
  h?.cleanup();
  h = undefined;
});

const notLinux = skipBecause(
  process.platform !== "linux",
  "durable sweep kill tests",
  `written for Linux (process groups, /proc); this is ${process.platform}`,
);

describe.skipIf(notLinux)("a durable sweep's driver killed with SIGKILL", () => {
  it("after an ask is journaled, before its call is submitted: that trial crashed, never run", async () => {
    h = new SweepHarness(2, 5);
    const k = draw(SEED, 0, 1, 10);
    const args = { name: "journal", optimizer: "tpe", maxTrials: 16 } as const;
    const { child } = h.driver({ ...args, killAfterAsks: k });
    expect((await ended(child)).signal).toBe("SIGKILL");
    expect(await h.runToEnd(args)).toMatchObject({ exit: "EXHAUSTED", history: 16 });
    const { crashed } = await h.checkStore("journal", 16);
    // The trial journaled last before the kill never reached a worker: crashed, not run.
    const evaluated = new Set(h.evaluations().map((e) => e.trial));
    expect(crashed.filter((t) => !evaluated.has(t)).length, `seed ${SEED}, k ${k}`).toBeGreaterThan(
      0,
    );
  }, 60_000);

  it("mid-sweep, with results in flight: every trial accounted for once", async () => {
    h = new SweepHarness(2, 30);
    const n = draw(SEED, 1, 2, 12);
    const args = { name: "mid", optimizer: "tpe", maxTrials: 20 } as const;
    await h.killAfterTold(args, n);
    expect(await h.runToEnd(args)).toMatchObject({ exit: "EXHAUSTED", history: 20 });
    const { crashed } = await h.checkStore("mid", 20);
    // Two workers were busy when it died: their trials died with them and are crashed.
    expect(crashed.length, `seed ${SEED}, n ${n}`).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it("twice in a row, then resumed: still every trial once", async () => {
    h = new SweepHarness(2, 10);
    const args = { name: "twice", optimizer: "random", maxTrials: 24 } as const;
    await h.killAfterTold(args, draw(SEED, 2, 2, 8));
    await h.killAfterTold(args, draw(SEED, 3, 2, 8));
    expect(await h.runToEnd(args)).toMatchObject({ exit: "EXHAUSTED", history: 24 });
    await h.checkStore("twice", 24);
  }, 60_000);

  it("NSGA-II mid-generation: the resumed driver keeps the generations of the dead one", async () => {
    h = new SweepHarness(2, 10);
    const args = { name: "nsga", optimizer: "nsga2", maxTrials: 30 } as const;
    // Population 6: killed after 7-16 reports is inside generation 1 or 2.
    await h.killAfterTold(args, draw(SEED, 4, 7, 16));
    const done = await h.runToEnd(args);
    expect(done).toMatchObject({ exit: "EXHAUSTED", history: 30 });
    // One generation per 6 successful children, counted over both drivers: the rebuilt
    // optimizer went on from the dead driver's generation and children, not from scratch.
    expect(done.generation).toBe(Math.floor((done.successes as number) / 6));
    await h.checkStore("nsga", 30);
  }, 60_000);
});
