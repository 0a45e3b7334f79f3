/**
 * Fault suite, online mode with the server down from the start (issue 10): a real writer logs
 * through `init({ mode: "online" })` to a port nothing listens on and is killed at a seeded
 * point with SIGKILL, SIGINT, SIGTERM and SIGHUP; then `amltk ui` starts on that port, `amltk
 * sync` delivers the spool, and the server's store is counted: every spooled point delivered
 * once (0 lost, 0 doubled), and on a clean signal every logged point, the run failed with
 * 130/143/129. A failure prints the seed; `AMLTK_FAULT_SEED=<seed>` replays its random points.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { reapAll } from "./fault-processes.js";
import { describeResult, runScenario, SIGNALS, suiteSeed } from "./fault-scenarios.js";

const seed = suiteSeed();
const root = mkdtempSync(join(tmpdir(), "amltk-faults-online-"));
afterEach(reapAll);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe(`online writer killed while the server is down (seed ${seed})`, () => {
  for (const signal of SIGNALS) {
    it(`${signal}, then amltk sync: every point owed is on the server, once`, async () => {
      const r = await runScenario("down", signal, seed, root);
      expect(r.problems, describeResult(r)).toEqual([]);
    });
  }
});
