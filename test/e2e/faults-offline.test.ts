/**
 * Fault suite, offline (issue 10): a real writer process logging into the local SQLite store is
 * killed at a seeded point with SIGKILL, SIGINT, SIGTERM and SIGHUP; then the store is counted.
 * Promises checked (see `fault-scenarios.ts`): every point logged 200 ms before a kill -9 is
 * stored and the run reads as crashed; on a clean signal every point logged is stored, the run
 * is failed with 130/143/129 and the process ended by the signal; nothing doubled or altered.
 * A failure prints the seed; `AMLTK_FAULT_SEED=<seed>` replays its random points.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { reapAll } from "./fault-processes.js";
import { describeResult, runScenario, SIGNALS, suiteSeed } from "./fault-scenarios.js";

const seed = suiteSeed();
const root = mkdtempSync(join(tmpdir(), "amltk-faults-offline-"));
afterEach(reapAll);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe(`offline writer killed (seed ${seed})`, () => {
  for (const signal of SIGNALS) {
    it(`${signal}: what had to be kept is stored, once`, async () => {
      const r = await runScenario("offline", signal, seed, root);
      expect(r.problems, describeResult(r)).toEqual([]);
    });
  }
});
