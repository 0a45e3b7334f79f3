/**
 * The run-state cases of the conformance suite: `pruned` is a terminal state of its own (a
 * trial the pruner stopped), stored and queried like `finished`, counted not running, and
 * never reaped as crashed even when its process is gone and its heartbeat is old.
 */
import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { expect, it } from "vitest";
import type { Store } from "./types.js";

/** Adds the state cases to the suite of `describeStoreConformance`. */
export function describeStateConformance(store: () => Store): void {
  it("stores a pruned run: listed by state, not running, never reaped", async () => {
    const project = `states-${Math.random().toString(36).slice(2, 10)}`;
    // The owner has exited and the heartbeat is a minute old: only a running run is reaped.
    const deadPid = spawnSync(process.execPath, ["-e", ""]).pid as number;
    const owner = { pid: deadPid, host: hostname(), createdAt: Date.now() - 60_000 };
    const ids = ["pruned", "finished", "running"].map((s) => `${project}-${s}`);
    for (const [i, id] of ids.entries()) {
      await store().createRun({ id, project, name: `r${i}`, ...owner });
    }
    await store().updateRun(ids[0], { state: "pruned", exitCode: 0, finishedAt: Date.now() });
    await store().updateRun(ids[1], { state: "finished", exitCode: 0, finishedAt: Date.now() });

    expect(await store().getRun(ids[0])).toMatchObject({ state: "pruned", exitCode: 0 });
    const listed = async (state: "pruned" | ("pruned" | "finished")[]) =>
      (await store().listRuns({ project, state, sort: "name" })).runs.map((r) => r.id);
    expect(await listed("pruned")).toEqual([ids[0]]);
    expect(await listed(["pruned", "finished"])).toEqual([ids[0], ids[1]]);

    const reaped = await store().reapCrashed(30_000);
    expect(reaped).not.toContain(ids[0]);
    // The running run with the same owner is crashed (by this reap or an earlier read).
    expect((await store().getRun(ids[2]))?.state).toBe("crashed");
    expect((await store().getRun(ids[0]))?.state).toBe("pruned");
    const info = (await store().listProjects()).find((p) => p.project === project);
    expect(info).toMatchObject({ runCount: 3, runningCount: 0 });
  });
}
