/**
 * A durable sweep's driver ended by SIGINT (Ctrl-C) and SIGTERM (`kill`) mid-sweep, with
 * results in flight, in a real child process on worker processes (SIGKILL is
 * `sweep-resume.test.ts`). What must hold, counted from the SQLite journal:
 * - the driver ends by the signal itself (a shell sees 130/143), and no worker outlives it;
 * - the sweep's own record is `failed` with 130/143, as a tracked run ended by a signal;
 * - the journal holds every trial a worker started (its ask was committed first) and every
 *   report the driver handed on (`reported <trial> <status>`), with that status: an SQLite
 *   commit finishes in the turn that told it, and a signal is handled between turns;
 * - a resumed driver finishes the sweep: every trial asked once, none evaluated twice, none
 *   lost or left running, the same trial count as asked for.
 * `AMLTK_FAULT_SEED` replays a run's kill points.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { skipBecause } from "../skip.js";
import { draw, ended, SweepHarness } from "./sweep-harness.js";

const SEED = Number(process.env.AMLTK_FAULT_SEED ?? Date.now() % 100_000);
console.log(`faults-sweep-signals: AMLTK_FAULT_SEED=${SEED}`);

let h: SweepHarness | undefined;
afterEach(() => {
  h?.cleanup();
  h = undefined;
});

const notLinux = skipBecause(
  process.platform !== "linux",
  "durable sweep signal tests",
  `written for Linux (process groups, /proc); this is ${process.platform}`,
);

/** Whether `pid` is alive (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Resolves once no pid of `pids` lives; rejects naming the survivors after `ms`. */
async function allGone(pids: number[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`workers still alive ${ms} ms later: ${left}`);
    await new Promise((r) => setTimeout(r, 20)); // polling a condition, with a deadline
  }
}

/** What the journal holds after the signal. */
interface Journal {
  /** Per asked trial: its told status, if it was told. */
  trials: Map<string, { told?: string }>;
  /** The sweep's own record. */
  sweep: { state: string; exitCode: number | null } | undefined;
}

async function journalOf(dir: string, name: string): Promise<Journal> {
  const store = await SqliteStore.open(dir);
  try {
    const { runs } = await store.listRuns({ project: name, group: name });
    const sweep = runs.find((r) => r.jobType === "sweep");
    const trials = new Map<string, { told?: string }>();
    for (const run of runs.filter((r) => r.jobType === "trial")) {
      const mark = run.summary._sweep as { tell?: number; report?: string } | undefined;
      const told =
        mark?.tell !== undefined && mark.report
          ? (JSON.parse(mark.report) as { status: string }).status
          : undefined;
      trials.set(run.name, { told });
    }
    return { trials, sweep: sweep && { state: sweep.state, exitCode: sweep.exitCode } };
  } finally {
    await store.close();
  }
}

describe.skipIf(notLinux)("a durable sweep's driver ended by a signal", () => {
  const cases = [
    ["SIGINT", 0],
    ["SIGTERM", 1],
  ] as const;
  for (const [signal, i] of cases) {
    it(`${signal} mid-sweep: journal complete up to the signal, resumed sweep whole`, async () => {
      h = new SweepHarness(2, 30);
      const name = `sig-${signal.toLowerCase()}`;
      const args = { name, optimizer: "tpe", maxTrials: 20 } as const;
      const n = draw(SEED, 10 + i, 2, 12);
      const { child, lines, waitFor } = h.driver(args);
      await waitFor(`told ${n}`);
      child.kill(signal);
      const end = await ended(child);
      const why = `seed ${SEED}, n ${n}, driver output:\n${lines.join("\n")}`;
      // Ended by the signal itself, as Node's default action would: a shell reports 128 + n.
      expect(end, why).toEqual({ code: null, signal });
      await allGone(
        h.evaluations().map((e) => e.pid),
        5_000,
      );

      const journal = await journalOf(h.dir, name);
      // The driver's own record closed as the tracker closes a run ended by a signal.
      const code = signal === "SIGINT" ? 130 : 143;
      expect(journal.sweep, why).toEqual({ state: "failed", exitCode: code });
      // Every trial a worker started was journaled before it was submitted.
      for (const e of h.evaluations())
        expect(journal.trials.has(e.trial), `${e.trial}; ${why}`).toBe(true);
      // Every report the driver handed on is journaled as told, with its status; nothing else is.
      const reported = new Map(
        lines
          .filter((l) => l.startsWith("reported "))
          .map((l) => l.split(" ").slice(1) as [string, string]),
      );
      expect(reported.size, why).toBeGreaterThanOrEqual(n);
      const told = new Map(
        [...journal.trials].filter(([, t]) => t.told !== undefined).map(([k, t]) => [k, t.told]),
      );
      expect(told, why).toEqual(reported);

      expect(await h.runToEnd(args)).toMatchObject({ exit: "EXHAUSTED", history: 20 });
      const { crashed } = await h.checkStore(name, 20);
      // Two workers were busy when the signal came: their trials were ended with the driver.
      expect(crashed.length, why).toBeGreaterThanOrEqual(1);
    }, 60_000);
  }
});
