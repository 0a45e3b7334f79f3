/**
 * Fault suite, online mode with a failing server (issue 10): the server (`amltk ui`, a child
 * process) is killed with SIGKILL and restarted on its port, or paused with SIGSTOP and
 * continued with SIGCONT (before or after the writer died, by the seed), while a real writer
 * logs; the writer is then killed with SIGKILL and with one clean signal drawn by the seed,
 * `amltk sync` runs, and the server's store is counted: every spooled point delivered once
 * (0 lost, 0 doubled), and on a clean signal every logged point, the run failed with
 * 130/143/129. A failure prints the seed; `AMLTK_FAULT_SEED=<seed>` replays it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Rng } from "../../src/optim/rng.js";
import { reapAll } from "./fault-processes.js";
import { describeResult, type KillSignal, runScenario, suiteSeed } from "./fault-scenarios.js";

const seed = suiteSeed();
const root = mkdtempSync(join(tmpdir(), "amltk-faults-server-"));
afterEach(reapAll);
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Four scenarios keep the suite inside its minute; the seed rotates the clean signal over runs.
const clean = new Rng(seed).choice<KillSignal>(["SIGINT", "SIGTERM", "SIGHUP"]);

describe(`online writer killed while the server fails (seed ${seed})`, () => {
  for (const fault of ["restart", "pause"] as const) {
    for (const signal of ["SIGKILL", clean] as const) {
      const what = fault === "restart" ? "server killed and restarted" : "server paused";
      it(`${what}, writer ${signal}, amltk sync: every point owed is there, once`, async () => {
        const r = await runScenario(fault, signal, seed, root);
        expect(r.problems, describeResult(r)).toEqual([]);
      });
    }
  }
});
