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
 * With the journal in PostgreSQL (SIGINT): a tell still on its way at the signal is not
 * journaled (its trial is reported crashed on resume), but the journal holds nothing that was
 * not reported, and the resumed sweep is whole.
 * `AMLTK_FAULT_SEED` replays a run's kill points.
 */
import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { type PgCluster, postgresAvailability, startPostgres } from "../services/postgres.js";
import { skipBecause } from "../skip.js";
import { type DriverArgs, draw, ended, SweepHarness } from "./sweep-harness.js";

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

const PG = postgresAvailability("a durable sweep's driver signalled, journal in PostgreSQL");
const noPostgres = skipBecause(
  !PG.found,
  "a durable sweep's driver signalled, journal in PostgreSQL",
  PG.reason,
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

async function journalOf(target: string, name: string): Promise<Journal> {
  const store = await openStore(target);
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

/**
 * Starts a driver, signals it once it printed `told <n>`, checks it ended by the signal with
 * no worker left, and reads the journal: what was reported (`reported <trial> <status>`) and
 * what the journal holds as told, each trial with its status. `target`: the journal's store.
 */
async function signalMidSweep(
  harness: SweepHarness,
  args: DriverArgs,
  signal: "SIGINT" | "SIGTERM",
  n: number,
  target: string,
) {
  const { child, lines, waitFor } = harness.driver(args);
  await waitFor(`told ${n}`);
  child.kill(signal);
  const end = await ended(child);
  const why = `seed ${SEED}, n ${n}, driver output:\n${lines.join("\n")}`;
  // Ended by the signal itself, as Node's default action would: a shell reports 128 + n.
  expect(end, why).toEqual({ code: null, signal });
  await allGone(
    harness.evaluations().map((e) => e.pid),
    5_000,
  );
  const journal = await journalOf(target, args.name);
  // Every trial a worker started was journaled before it was submitted.
  for (const e of harness.evaluations())
    expect(journal.trials.has(e.trial), `${e.trial}; ${why}`).toBe(true);
  const reported = new Map(
    lines
      .filter((l) => l.startsWith("reported "))
      .map((l) => l.split(" ").slice(1) as [string, string]),
  );
  expect(reported.size, why).toBeGreaterThanOrEqual(n);
  const told = new Map(
    [...journal.trials].filter(([, t]) => t.told !== undefined).map(([k, t]) => [k, t.told]),
  );
  return { journal, reported, told, why };
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
      const { journal, reported, told, why } = await signalMidSweep(h, args, signal, n, h.dir);
      // The driver's own record closed as the tracker closes a run ended by a signal.
      const code = signal === "SIGINT" ? 130 : 143;
      expect(journal.sweep, why).toEqual({ state: "failed", exitCode: code });
      // Every report the driver handed on is journaled as told, with its status (an SQLite
      // commit ends in the turn that made it); nothing else is.
      expect(told, why).toEqual(reported);

      expect(await h.runToEnd(args)).toMatchObject({ exit: "EXHAUSTED", history: 20 });
      const { crashed } = await h.checkStore(name, 20);
      // Two workers were busy when the signal came: their trials were ended with the driver.
      expect(crashed.length, why).toBeGreaterThanOrEqual(1);
    }, 60_000);
  }

  describe.skipIf(noPostgres)("with the journal in PostgreSQL", () => {
    let pg: PgCluster;
    beforeAll(async () => {
      pg = await startPostgres();
    }, 60_000);
    afterAll(() => pg?.stop());

    it("SIGINT mid-sweep: what was told is journaled, the resumed sweep whole", async () => {
      const postgres = await pg.createDatabase();
      h = new SweepHarness(2, 30);
      const args = { name: "sig-pg", optimizer: "tpe", maxTrials: 16, postgres } as const;
      const n = draw(SEED, 12, 2, 10);
      const { reported, told, why } = await signalMidSweep(h, args, "SIGINT", n, postgres);
      // A PostgreSQL commit takes round trips, and the signal ends the process between two
      // turns: a report whose tell was still on its way is not journaled (the resumed driver
      // reports that trial crashed), but nothing is journaled that was not reported, and
      // each as reported.
      for (const [trial, status] of told) expect(reported.get(trial), why).toBe(status);

      expect(await h.runToEnd(args)).toMatchObject({ exit: "EXHAUSTED", history: 16 });
      await h.checkStore("sig-pg", 16, postgres);
    }, 60_000);
  });
});
