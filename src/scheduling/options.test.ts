import { describe, expect, it } from "vitest";
import { defaultsDisagreeing } from "../shared/documented-defaults.test-helpers.js";
import { WORKER_POOL_DEFAULTS } from "./executors/pool-options.js";
import { ThreadExecutor } from "./executors/threads.js";
import { COMM_DEFAULTS, CommPlugin } from "./plugins/comm.js";
import { RUN_DEFAULTS } from "./run-options.js";

const at = (p: string) => new URL(p, import.meta.url);

describe("scheduling defaults", () => {
  it("are frozen, used by the code, and the values the TSDoc documents", async () => {
    for (const d of [RUN_DEFAULTS, COMM_DEFAULTS, WORKER_POOL_DEFAULTS])
      expect(Object.isFrozen(d)).toBe(true);
    expect(new CommPlugin().requestTimeout).toBe(COMM_DEFAULTS.requestTimeout);
    const pool = new ThreadExecutor({ maxWorkers: 1 });
    expect(pool.graceSeconds).toBe(WORKER_POOL_DEFAULTS.graceSeconds);
    await pool.shutdown({ wait: true });
    expect(defaultsDisagreeing(at("./run-options.ts"), RUN_DEFAULTS)).toEqual([]);
    expect(defaultsDisagreeing(at("./plugins/comm.ts"), COMM_DEFAULTS)).toEqual([]);
    expect(defaultsDisagreeing(at("./executors/pool-options.ts"), WORKER_POOL_DEFAULTS)).toEqual(
      [],
    );
  });
});
