/**
 * The run-query filters of the conformance suite that every backend must read alike: tag
 * filters (tags are a list, not a value with a path) and NaN/±Infinity values, which the
 * dashboard's filter box sends (`tags = wide`, `cost = NaN`).
 */
import { expect, it } from "vitest";
import type { RunFilter, Store } from "./types.js";

let counter = 0;

/** Adds the filter cases to the suite of `describeStoreConformance`. */
export function describeFilterConformance(store: () => Store): void {
  it("filters on tags and on NaN/Infinity values", async () => {
    counter++;
    const project = `filters-${counter}-${Math.random().toString(36).slice(2, 8)}`;
    const runs = [
      { tags: ["wide", "fast"], summary: { cost: Number.NaN } },
      { tags: ["narrow"], summary: { cost: Number.POSITIVE_INFINITY } },
      { tags: [] as string[], summary: { cost: 1 } },
    ];
    const ids: string[] = [];
    for (const [i, r] of runs.entries()) {
      const id = `${project}-${i}`;
      ids.push(id);
      await store().createRun({ id, project, name: `r${i}`, tags: r.tags, createdAt: 1_000 + i });
      await store().updateRun(id, { summary: r.summary });
    }
    const match = async (f: RunFilter) =>
      (await store().listRuns({ project, where: [f], sort: "createdAt" })).runs.map((r) =>
        ids.indexOf(r.id),
      );
    expect(await match({ path: "tags", op: "=", value: "wide" })).toEqual([0]);
    expect(await match({ path: "tags", op: "!=", value: "wide" })).toEqual([1, 2]);
    expect(await match({ path: "tags", op: "contains", value: "arr" })).toEqual([1]);
    expect(await match({ path: "tags", op: "in", value: ["fast", "narrow"] })).toEqual([0, 1]);
    expect(await match({ path: "tags", op: "in", value: [] })).toEqual([]);
    expect(await match({ path: "tags", op: "=", value: null })).toEqual([2]);
    expect(await match({ path: "tags", op: "!=", value: null })).toEqual([0, 1]);
    expect(await match({ path: "summary.cost", op: "=", value: Number.NaN })).toEqual([0]);
    expect(await match({ path: "summary.cost", op: "=", value: Number.POSITIVE_INFINITY })).toEqual(
      [1],
    );
    expect(await match({ path: "summary.cost", op: "!=", value: Number.NaN })).toEqual([1, 2]);
    await expect(
      store().listRuns({ project, where: [{ path: "tags", op: ">", value: "a" }] }),
    ).rejects.toThrow(/tags/);
    await expect(
      store().listRuns({ project, where: [{ path: "summary.cost", op: ">", value: Number.NaN }] }),
    ).rejects.toThrow(/= or !=/);
  });
}
