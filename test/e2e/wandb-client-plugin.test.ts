/**
 * The seed's `WandbPlugin` sends its trials through the W&B protocol: with `mode: "online"` and
 * `protocol: "wandb"` in its params (no environment variable: AMLTK_PROTOCOL is unset), each trial's
 * run goes to a W&B-protocol server (here our own server's W&B routes) through the tracker's
 * W&B-online mode, with its config, history, summary and exit.
 */
import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { Scheduler } from "../../src/scheduling/scheduler.js";
import { startTestServer, tempDir } from "../../src/server/server.test-helpers.js";
import { Metric } from "../../src/trial/metric.js";
import type { TrialReport } from "../../src/trial/report.js";
import { Trial } from "../../src/trial/trial.js";
import { WandbPlugin } from "../../src/wandb/index.js";
import { targetFunction } from "../../src/wandb/test-fixtures/fns.js";

type XYZ = { x: number; y: number; z: number };
const CONFIGS: XYZ[] = [
  { x: 1, y: 2, z: 3 },
  { x: -1, y: 2, z: 3 },
  { x: -1, y: 3, z: 4 },
];

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe("WandbPlugin over the W&B protocol", () => {
  it("each trial is a finished run on the W&B-protocol server", async () => {
    const ts = await startTestServer();
    cleanup.push(() => ts.stop());
    const dir = tempDir("amltk-wandb-plugin-");
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const before = process.env.AMLTK_PROTOCOL;
    // The params alone choose the protocol: an inherited "amltk" must not win over them.
    process.env.AMLTK_PROTOCOL = "amltk";
    cleanup.push(() => {
      if (before === undefined) delete process.env.AMLTK_PROTOCOL;
      else process.env.AMLTK_PROTOCOL = before;
    });
    const plugin = new WandbPlugin({
      project: "seed-wandb",
      dir,
      mode: "online",
      protocol: "wandb",
      baseUrl: ts.server.url,
      apiKey: ts.key,
    });
    const scheduler = Scheduler.withProcesses({ maxWorkers: 2 });
    const task = new Trial.Task<XYZ>(targetFunction, scheduler, {
      plugins: [plugin.trialTracker()],
    });
    const reports: TrialReport[] = [];
    let i = 0;
    const submitNext = () => {
      const config = CONFIGS[i];
      if (!config) return;
      task.submit(
        new Trial<XYZ>({
          name: `trial-${i++}`,
          config,
          metrics: [new Metric("cost", { minimize: true })],
        }),
      );
    };
    scheduler.on("onStart", submitNext);
    task.on("onReport", (r) => {
      reports.push(r);
      submitNext();
    });
    await scheduler.run();
    expect(reports.map((r) => r.status)).toEqual(["success", "success", "success"]);

    const { runs } = await ts.store.listRuns({ project: "seed-wandb" });
    runs.sort((a, b) => a.name.localeCompare(b.name));
    expect(runs.map((r) => [r.name, r.state, r.exitCode])).toEqual([
      ["trial-0", "finished", 0],
      ["trial-1", "finished", 0],
      ["trial-2", "finished", 0],
    ]);
    for (const [k, r] of runs.entries()) {
      expect(r.entity).toBe("amltk"); // set by the W&B routes (our own API leaves it null)
      expect(r.config).toMatchObject(CONFIGS[k]!);
      expect(r.summary).toMatchObject({ cost: CONFIGS[k]!.y + CONFIGS[k]!.z });
      const loss = await ts.store.readPoints({ runId: r.id, key: "loss" });
      expect(loss.map((p) => p.step)).toEqual([...Array(10).keys()]);
    }
  }, 60_000);
});
