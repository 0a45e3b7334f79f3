import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runTsx } from "../child-process.test-helpers.js";
import { describeStoreConformance } from "../conformance.js";
import { describeTransactionConformance } from "../transaction-conformance.js";
import { StoreError } from "../types.js";
import { withRetry } from "./db.js";
import { MIGRATIONS, SqliteStore } from "./index.js";
import { oldDatabase, tempDirs } from "./sqlite.test-helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const tempDir = tempDirs("amltk-sqlite-");

describeStoreConformance("sqlite", () => SqliteStore.open(tempDir()));
describeTransactionConformance("sqlite", () => SqliteStore.open(tempDir()));

describe("SqliteStore transactions", () => {
  it("keeps the ledger in the file, also when the transaction that made its table rolled back", async () => {
    const dir = tempDir();
    const store = await SqliteStore.open(dir);
    // The first ledger write creates the table; rolled back, the table is gone again.
    const refused = store.transaction(async (tx) => {
      await tx.setIngestSeq("r", "w", 1);
      throw new Error("refused");
    });
    await expect(refused).rejects.toThrow("refused");
    await store.createRun({ id: "r", project: "p", name: "r", createdAt: 1 });
    await store.transaction((tx) => tx.setIngestSeq("r", "w", 4));
    await store.close();
    const again = await SqliteStore.open(dir);
    expect(await again.transaction((tx) => tx.ingestSeq("r", "w"))).toBe(4);
    await again.close();
  });
});

describe("SqliteStore specifics", () => {
  it("uses one WAL database with migrations applied", async () => {
    const dir = tempDir();
    const store = await SqliteStore.open(dir);
    expect(store.db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(store.db.pragma("user_version", { simple: true })).toBeGreaterThan(0);
    await store.close();
    const again = await SqliteStore.open(dir);
    await again.close();
    await expect(again.getRun("x")).rejects.toMatchObject({ code: "closed" });
  });

  it("upgrades a database created by an older schema version", async () => {
    const dir = tempDir();
    oldDatabase(dir, 1, "old1").close();
    const store = await SqliteStore.open(dir);
    expect(store.db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(await store.getRun("old1")).toMatchObject({ state: "finished", tags: [], config: {} });
    await store.close();
  });

  it("retries SQLITE_BUSY and passes other errors through", () => {
    let calls = 0;
    const value = withRetry(() => {
      calls++;
      if (calls < 3) throw Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
      return "ok";
    });
    expect(value).toBe("ok");
    expect(calls).toBe(3);
    expect(() =>
      withRetry(() => {
        throw Object.assign(new Error("boom"), { code: "SQLITE_CONSTRAINT" });
      }),
    ).toThrow("boom");
    expect(() =>
      withRetry(() => {
        throw Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
      }, 0),
    ).toThrow(StoreError);
  });

  it("has sync variants", async () => {
    const store = await SqliteStore.open(tempDir());
    store.createRunSync({ id: "s1", project: "p", name: "n", createdAt: 1 });
    store.appendHistorySync("s1", [{ step: 0, runtime: 0, timestamp: 1, values: { a: 1 } }]);
    store.updateRunSync("s1", { state: "finished", exitCode: 0 });
    expect(store.getRunSync("s1")).toMatchObject({ state: "finished", nextStep: 1 });
    store.closeSync();
  });

  it("takes concurrent writes from 4 processes", async () => {
    const dir = tempDir();
    const store = await SqliteStore.open(dir);
    const n = 4;
    const points = 5000;
    for (let i = 0; i < n; i++) {
      await store.createRun({ id: `w${i}`, project: "mp", name: `w${i}`, createdAt: i });
    }
    const script = join(here, "test-fixtures", "writer.ts");
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => runTsx(script, [dir, `w${i}`, String(points)])),
    );
    for (const r of results) expect(r.code, r.out).toBe(0);
    for (const r of results) console.log(r.out.trim());
    for (let i = 0; i < n; i++) {
      const rows = await store.readHistory(`w${i}`);
      expect(rows).toHaveLength(points);
      expect(rows.every((row, step) => row.step === step && row.values.v === step * 2)).toBe(true);
      // Every process also wrote to one shared run under its own key.
      const shared = await store.readPoints({ runId: "w0", key: `k${i}` });
      expect(shared).toHaveLength(points);
    }
    await store.close();
  });
});
