/**
 * `Trial.Task` on each executor: the seed's scheduling pattern, limits as failed reports,
 * dead workers as crashed reports, Comm through `trial.plugins.comm`, and bad configs.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueSuite } from "../../test/e2e/queue-suite.js";
import { skipBecause } from "../../test/skip.js";
import { Comm } from "../scheduling/plugins/comm.js";
import { Limits } from "../scheduling/plugins/limits.js";
import { Scheduler } from "../scheduling/scheduler.js";
import { childPids } from "../scheduling/test-fixtures/children.js";
import { Trial, type TrialFn } from "./index.js";
import { Metric } from "./metric.js";
import type { TrialReport } from "./report.js";
import { costYZ, killedOnNegative, napThenCost, talksBack } from "./test-fixtures/trial-fns.js";

type XYZ = { x: number; y: number; z: number };
type Kind = "sequential" | "threads" | "processes" | "queue";
/** The queue executor: a private redis-server and two `amltk worker` processes. */
const queue = queueSuite("Trial.Task on queue");

function make(kind: Kind, maxWorkers = 1): Scheduler {
  if (kind === "sequential") return Scheduler.withSequential();
  if (kind === "threads") return Scheduler.withThreads({ maxWorkers });
  if (kind === "queue") return queue.scheduler(maxWorkers);
  return Scheduler.withProcesses({ maxWorkers, graceSeconds: 0.5 });
}

const SEED_CONFIGS: XYZ[] = [
  { x: 1, y: 2, z: 3 },
  { x: -1, y: 2, z: 3 },
  { x: -1, y: 3, z: 4 },
];

/** The seed's pattern: onStart launches the first trial, onReport launches the next. */
async function seedPattern(
  scheduler: Scheduler,
  fn: TrialFn<XYZ>,
  configs: XYZ[] = SEED_CONFIGS,
  plugins: ConstructorParameters<typeof Trial.Task>[2] = {},
): Promise<TrialReport[]> {
  const task = new Trial.Task<XYZ>(fn, scheduler, plugins);
  const queue = configs.entries();
  const reports: TrialReport[] = [];
  const launch = () => {
    const next = queue.next();
    if (next.done) return;
    const [i, config] = next.value;
    task.submit(new Trial({ name: `trial-${i}`, config, metrics: [new Metric("cost")] }));
  };
  scheduler.on("onStart", launch);
  task.on("onReport", (report) => {
    reports.push(report);
    launch();
  });
  await scheduler.run();
  return reports;
}

describe.each(["sequential", "threads", "processes", ...queue.kinds] as Kind[])(
  "Trial.Task on %s",
  (kind) => {
    if (kind === "queue") {
      beforeAll(() => queue.start(), 120_000);
      afterAll(() => queue.stop());
    }
    /** The sequential executor runs each trial in this process: there is no worker to use. */
    const noWorker = skipBecause(
      kind === "sequential",
      "worker tests of Trial.Task on sequential",
      "it runs trials in this process: there is no worker to kill or cross to",
    );

    it("runs the seed's scheduling pattern: three reports, in order", async () => {
      const reports = await seedPattern(make(kind, 2), costYZ);
      expect(reports.map((r) => [r.name, r.status, r.values.cost])).toEqual([
        ["trial-0", "success", 5],
        ["trial-1", "success", 5],
        ["trial-2", "success", 7],
      ]);
      expect(reports[2]?.config).toEqual(SEED_CONFIGS[2]);
    });

    it("a wall-time breach is a failed report naming the limit; the next trial runs", async () => {
      const configs = [
        { x: 30, y: 1, z: 1 },
        { x: 0, y: 2, z: 3 },
      ];
      const before = childPids(process.pid);
      const reports = await seedPattern(make(kind), napThenCost, configs, {
        // Generous: the replacement worker imports the trial module inside the timed call.
        plugins: [new Limits({ wallTime: 1 })],
      });
      // The worker stopped for the breach is gone too, not only the pool's last one.
      expect(childPids(process.pid)).toEqual(before);
      expect(reports.map((r) => r.status)).toEqual(["fail", "success"]);
      expect(reports[0]?.exception).toMatch(/^WallTimeExceeded: .* 1s$/);
      expect(reports[0]?.values.cost).toBe(Number.POSITIVE_INFINITY);
      expect(reports[1]?.values.cost).toBe(5);
    });

    it("Comm reaches the trial as trial.plugins.comm", async () => {
      const s = make(kind);
      const messages: unknown[] = [];
      const task = new Trial.Task<XYZ>(talksBack, s, { plugins: [new Comm.Plugin()] });
      task.on("onCommMessage", (msg) => messages.push(msg.data));
      task.on("onCommRequest", (msg) => msg.respond(100));
      const reports: TrialReport[] = [];
      task.on("onReport", (r) => reports.push(r));
      s.on("onStart", () => {
        task.submit(new Trial({ name: "t", config: { x: 0, y: 1, z: 2 } }));
      });
      await s.run();
      expect(messages).toEqual([{ trial: "t", step: 1 }]);
      expect(reports[0]?.status).toBe("success");
      expect(reports[0]?.values.cost).toBe(103);
    });

    it.skipIf(noWorker)(
      "a killed worker gives a crashed report, the next trial still runs, no child is left",
      async () => {
        const before = childPids(process.pid);
        const reports = await seedPattern(make(kind), killedOnNegative, [
          { x: -1, y: 0, z: 0 },
          { x: 1, y: 2, z: 3 },
        ]);
        expect(reports.map((r) => r.status)).toEqual(["crashed", "success"]);
        expect(reports[0]?.exception).toMatch(kind === "threads" ? /exited \(code 9\)/ : /SIGKILL/);
        expect(reports[1]?.values.cost).toBe(5);
        expect(childPids(process.pid)).toEqual(before);
      },
    );

    it.skipIf(noWorker)(
      "a function that cannot be imported gives a failed report naming module, export and why",
      async () => {
        const at = (name: string) => new URL(`./test-fixtures/${name}`, import.meta.url).href;
        const outside = join(mkdtempSync(join(tmpdir(), "amltk-import-")), "outside.mjs");
        writeFileSync(outside, "export const evaluate = () => 1;\n");
        const refs = [
          { moduleUrl: at("nowhere.ts"), exportName: "evaluate" },
          { moduleUrl: at("trial-fns.ts"), exportName: "noSuchExport" },
          { moduleUrl: at("throws-at-import.ts"), exportName: "evaluate" },
          // Only an `amltk worker` has roots (its working directory here).
          ...(kind === "queue"
            ? [{ moduleUrl: pathToFileURL(outside).href, exportName: "f" }]
            : []),
        ];
        const s = make(kind, 2);
        const reports = new Map<string, TrialReport>();
        s.on("onStart", () => {
          refs.forEach((module, i) => {
            const task = new Trial.Task<XYZ>(costYZ, s, { module });
            task.on("onReport", (r) => reports.set(r.name, r));
            task.submit(new Trial({ name: `t${i}`, config: { x: 0, y: 1, z: 2 } }));
          });
        });
        await s.run();
        const why = [
          /Cannot import "evaluate" from .*nowhere\.ts: the module was not found/,
          /Cannot import "noSuchExport" from .*trial-fns\.ts: the module has no exported function/,
          /Cannot import "evaluate" from .*throws-at-import\.ts: the module threw while it was imported: broken at import/,
          /Cannot import "f" from .*outside\.mjs: the worker is not allowed to import it.*outside the allowed roots/,
        ];
        expect([...reports.keys()].sort()).toEqual(refs.map((_, i) => `t${i}`));
        refs.forEach((_, i) => {
          const report = reports.get(`t${i}`);
          expect(report?.status, `t${i}`).toBe("fail");
          expect(report?.exception, `t${i}`).toMatch(why[i] as RegExp);
        });
      },
    );

    it("refuses an unknown event, naming the known ones", () => {
      const task = new Trial.Task<XYZ>(costYZ, make(kind));
      expect(() => task.on("onReprot" as "onReport", () => {})).toThrow(
        /Unknown event "onReprot".*onReport.*onSubmitted/,
      );
    });

    it.skipIf(noWorker)("refuses a config that cannot cross to a worker", async () => {
      const s = make(kind);
      const task = new Trial.Task<XYZ>(costYZ, s);
      let error: unknown;
      s.on("onStart", () => {
        const config = { x: 1, y: 2, z: 3, model: () => 0 } as unknown as XYZ;
        try {
          task.submit(new Trial({ name: "bad", config }));
        } catch (e) {
          error = e;
        }
      });
      const exit = await s.run();
      expect(exit.code).toBe("EXHAUSTED");
      expect((error as Error).name).toBe("UncloneableError");
      expect((error as Error).message).toMatch(/Trial "bad".*trial\.config\.model \(a function/);
    });
  },
);
