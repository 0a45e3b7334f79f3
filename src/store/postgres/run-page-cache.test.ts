/**
 * Runs pages kept per project: a page is answered from memory while nothing in its project
 * changed, and never after this process or another wrote to it. A change made behind the
 * store's back (a plain connection, no NOTIFY) shows which reads came from memory.
 */
import pg from "pg";
import { describe, expect, it } from "vitest";
import { postgresAvailability } from "../../../test/services/postgres.js";
import { skipBecause } from "../../../test/skip.js";
import { freshPostgresUrl } from "./postgres.test-helpers.js";
import { PostgresStore } from "./postgres-store.js";
import { RunPageCache } from "./run-page-cache.js";
import type { RunRow } from "./runs.js";

const PG = postgresAvailability("PostgreSQL runs page cache");
const noPg = skipBecause(!PG.found, "PostgreSQL runs page cache", PG.reason);

const row = (id: string, project: string): RunRow =>
  ({ id, project, tags: [], config: "{}", summary: "{}" }) as unknown as RunRow;

describe("RunPageCache", () => {
  it("keeps no page read across a write to its project", () => {
    const cache = new RunPageCache().at("0");
    const q = { project: "a" };
    cache.learn([{ id: "r1", project: "a" }]);
    const token = cache.token(q);
    cache.written(new Map([["r1", "history"]])); // committed while the page was being read
    cache.set(q, { rows: [row("r1", "a")], total: 1 }, token);
    expect(cache.get(q)).toBeUndefined();
    // A write elsewhere does not stop a page of "a" from being kept.
    const fresh = cache.token(q);
    cache.learn([{ id: "r2", project: "b" }]);
    cache.written(new Map([["r2", "other"]]));
    cache.set(q, { rows: [row("r1", "a")], total: 1 }, fresh);
    expect(cache.get(q)?.runs.map((r) => r.id)).toEqual(["r1"]);
    // A run of no known project drops every page; so does another process's write.
    cache.written(new Map([["unknown", "history"]]));
    expect(cache.get(q)).toBeUndefined();
    cache.set(q, { rows: [row("r1", "a")], total: 1 }, cache.token(q));
    cache.at("1");
    expect(cache.get(q)).toBeUndefined();
  });
});

describe("RunPageCache's ids", () => {
  it("keeps a page's ids across the writes that cannot move them", () => {
    const cache = new RunPageCache().at("0");
    const live = { project: "a", state: "running" as const };
    const bySummary = { project: "a", sort: "-summary.loss" };
    cache.learn([{ id: "r1", project: "a" }]);
    const page = { rows: [row("r1", "a")], total: 1 };
    cache.setIds(live, page, cache.token(live, true));
    cache.setIds(bySummary, page, cache.token(bySummary, true));
    cache.set(live, page, cache.token(live));
    // History and a flush: the whole page goes, the ids stay unless sorted by the summary.
    cache.written(new Map([["r1", "history"]]));
    cache.written(new Map([["r1", "flush"]]));
    expect(cache.get(live)).toBeUndefined();
    expect(cache.getIds(live)).toEqual(["r1"]);
    expect(cache.getIds(bySummary)).toBeUndefined();
    // A flush while ids were read does not stop keeping them; a state change does.
    const token = cache.token(live, true);
    cache.written(new Map([["r1", "flush"]]));
    cache.setIds(live, page, token);
    expect(cache.getIds(live)).toEqual(["r1"]);
    cache.written(new Map([["r1", "other"]]));
    expect(cache.getIds(live)).toBeUndefined();
    const before = cache.token(live, true);
    cache.written(new Map([["r1", "other"]]));
    cache.setIds(live, page, before);
    expect(cache.getIds(live)).toBeUndefined();
  });
});

describe.skipIf(noPg)("PostgresStore's runs pages", () => {
  it("answers from memory until its project changes, here or in another process", async () => {
    const url = await freshPostgresUrl();
    const store = await PostgresStore.open(url);
    const other = await PostgresStore.open(url);
    const behind = new pg.Client({ connectionString: url });
    await behind.connect();
    const names = async (q: { project?: string }) =>
      (await store.listRuns(q)).runs.map((r) => `${r.id}:${r.name}:${r.nextStep}`);
    try {
      await store.createRun({ id: "a1", project: "a", name: "one", createdAt: 1, tags: ["t"] });
      await store.createRun({ id: "b1", project: "b", name: "bee", createdAt: 2 });
      expect(await names({ project: "a" })).toEqual(["a1:one:0"]);
      expect(await names({})).toEqual(["b1:bee:0", "a1:one:0"]);
      // Behind the store's back: pages in memory do not see it.
      await behind.query("UPDATE runs SET name = name || '!'");
      expect(await names({ project: "a" })).toEqual(["a1:one:0"]);
      // A record handed out is the caller's to edit.
      const page = await store.listRuns({ project: "a" });
      page.runs[0]!.tags.push("edited");
      (page.runs[0]!.config as Record<string, unknown>).x = 1;
      expect((await store.listRuns({ project: "a" })).runs[0]).toMatchObject({
        tags: ["t"],
        config: {},
      });
      // A write to project b: a's page stays, the all-projects page goes.
      await store.appendHistory("b1", [{ step: 0, runtime: 0, timestamp: 1, values: { x: 1 } }]);
      expect(await names({ project: "a" })).toEqual(["a1:one:0"]);
      expect(await names({})).toEqual(["b1:bee!:1", "a1:one!:0"]);
      // A write to a run of project a (its nextStep moves): a's page is read again.
      await store.appendHistory("a1", [{ step: 4, runtime: 0, timestamp: 1, values: { x: 1 } }]);
      expect(await names({ project: "a" })).toEqual(["a1:one!:5"]);
      // A live chart's ids: kept across history and flushes, read again when a run finishes.
      expect(await store.listRunIds({ project: "a", state: "running" })).toEqual(["a1"]);
      await behind.query("UPDATE runs SET state = 'finished' WHERE id = 'a1'");
      await store.appendHistory("a1", [{ step: 5, runtime: 0, timestamp: 1, values: { x: 2 } }]);
      await store.updateRun("a1", { summary: { x: 2 }, heartbeatAt: 9 });
      expect(await store.listRunIds({ project: "a", state: "running" })).toEqual(["a1"]);
      await store.updateRun("a1", { state: "finished", exitCode: 0 });
      expect(await store.listRunIds({ project: "a", state: "running" })).toEqual([]);
      await behind.query("UPDATE runs SET state = 'running', exit_code = NULL WHERE id = 'a1'");
      await store.updateRun("a1", { state: "running" });
      // Another process writes to project a: once its notice came, the page is read again.
      await other.createRun({ id: "a2", project: "a", name: "two", createdAt: 3 });
      const deadline = Date.now() + 10_000;
      let seen = await names({ project: "a" });
      while (seen.length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
        seen = await names({ project: "a" });
      }
      expect(seen).toEqual(["a2:two:0", "a1:one!:6"]);
    } finally {
      await behind.end();
      await other.close();
      await store.close();
    }
  });
});
