import { afterEach, describe, expect, it } from "vitest";
import { OptionError } from "../shared/options.js";
import { MemoryStore } from "../track/memory-store.js";
import { createServer } from "./create-server.js";
import { createOp, rows, startTestServer, type TestServer } from "./server.test-helpers.js";

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

describe("createServer readThreads", () => {
  it.each([-1, 1.5, Number.NaN, 65, "2"])("refuses readThreads %s, naming it", async (bad) => {
    const e = await createServer({ store: new MemoryStore(), readThreads: bad as number }).catch(
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(OptionError);
    expect(e).toMatchObject({ code: "invalid_option", option: "readThreads" });
    expect((e as Error).message).toContain(`readThreads must be an integer from 0 to 64, got`);
  });

  it.each([0, 2])(
    "with %s read threads, every read sees the writes acknowledged before it",
    async (n) => {
      ts = await startTestServer({ readThreads: n });
      const created = await ts.call("POST", "/api/runs/r/batch", {
        writer: "w-read-threads",
        ops: [createOp(1)],
      });
      expect(created.status).toBe(200);
      // Threads start with the first reads; the reads before they are ready and after must agree.
      for (let i = 0; i < 40; i++) {
        const w = await ts.call("POST", "/api/runs/r/batch", {
          writer: "w-read-threads",
          ops: [{ seq: i + 2, type: "history", rows: rows(i, 1) }],
        });
        expect(w.status).toBe(200);
        const run = await ts.call("GET", "/api/runs/r");
        expect(run.body.nextStep).toBe(i + 1);
        const history = await ts.call("GET", "/api/runs/r/history?key=loss");
        expect(history.body.step).toHaveLength(i + 1);
        const series = await ts.call("POST", "/api/series", {
          runs: ["r"],
          keys: ["loss"],
          x: "step",
          buckets: 10,
        });
        expect(series.body.series[0].last.at(-1)).toBe(i);
      }
    },
  );
});
