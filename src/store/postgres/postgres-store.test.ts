/** The PostgreSQL store passes the conformance suites every backend runs, unchanged. */
import { describe, expect, it } from "vitest";
import { postgresAvailability } from "../../../test/services/postgres.js";
import { skipBecause } from "../../../test/skip.js";
import { defaultsDisagreeing } from "../../shared/documented-defaults.test-helpers.js";
import { UnknownOptionError } from "../../shared/options.js";
import { describeStoreConformance } from "../conformance.js";
import { describeTransactionConformance } from "../transaction-conformance.js";
import { PG_MIGRATIONS, StoreSchemaTooNewError } from "./migrations.js";
import { freshPostgresStore, freshPostgresUrl } from "./postgres.test-helpers.js";
import { POSTGRES_STORE_DEFAULTS, PostgresStore } from "./postgres-store.js";

const PG = postgresAvailability("PostgreSQL store conformance");
const noPg = skipBecause(!PG.found, "PostgreSQL store conformance", PG.reason);

describe("PostgresStore options", () => {
  it("refuses an unknown option before connecting, naming the closest one", async () => {
    const err = await PostgresStore.open("postgres://nowhere.invalid/x", {
      maxConnection: 3,
    } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownOptionError);
    expect((err as Error).message).toMatch(/"maxConnection" \(did you mean "maxConnections"\?\)/);
    await expect(
      PostgresStore.open("postgres://nowhere.invalid/x", { maxConnections: 0 }),
    ).rejects.toThrow(/maxConnections must be a whole number >= 1, got 0/);
    await expect(
      PostgresStore.open("postgres://nowhere.invalid/x", { readConnections: 1.5 }),
    ).rejects.toThrow(/readConnections must be a whole number >= 1, got 1.5/);
  });

  it("documents the defaults it uses", () => {
    expect(
      defaultsDisagreeing(new URL("./store-options.ts", import.meta.url), POSTGRES_STORE_DEFAULTS),
    ).toEqual([]);
  });
});

describe.skipIf(noPg)("PostgresStore", () => {
  describeStoreConformance("postgres", () => freshPostgresStore());
  describeTransactionConformance("postgres", () => freshPostgresStore());
});

describe.skipIf(noPg)("PostgresStore beyond the conformance suites", () => {
  it("reads while every write connection is held by a transaction", async () => {
    const store = await freshPostgresStore({ maxConnections: 1 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const writing = store.transaction(async (tx) => {
      await tx.createRun({ id: "held", project: "p", name: "held", createdAt: 1 });
      entered();
      await held;
    });
    try {
      await inside;
      // The only write connection is in the transaction above: a read on a shared pool would
      // wait for it until the deadline; the read pool answers at once.
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("the read waited for the write connection")),
          10_000,
        );
      });
      const page = await Promise.race([store.listRuns({ project: "p" }), deadline]);
      clearTimeout(timer);
      expect(page.total).toBe(0); // the transaction has not committed
    } finally {
      release();
      await writing;
      expect((await store.listRuns({ project: "p" })).total).toBe(1);
      await store.close();
    }
  });

  it("changeVersion moves when another connection commits (LISTEN/NOTIFY)", async () => {
    const url = await freshPostgresUrl();
    const a = await PostgresStore.open(url);
    const b = await PostgresStore.open(url);
    try {
      const v0 = await a.changeVersion();
      expect(await a.changeVersion()).toBe(v0); // nothing written: still
      await b.createRun({ id: "cv1", project: "p", name: "cv1", createdAt: 1 });
      const deadline = Date.now() + 10_000;
      let v = v0;
      while (v === v0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
        v = await a.changeVersion();
      }
      expect(v).not.toBe(v0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("refuses a database migrated by a newer amltk, naming both versions", async () => {
    const url = await freshPostgresUrl();
    const s = await PostgresStore.open(url);
    await s.pool.query("UPDATE amltk_schema SET version = 999");
    await s.close();
    const err = await PostgresStore.open(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreSchemaTooNewError);
    expect((err as StoreSchemaTooNewError).message).toMatch(
      new RegExp(`version 999.*version ${PG_MIGRATIONS.length}\\b`),
    );
  });

  it("migrates once when two stores open a fresh database at the same time", async () => {
    const url = await freshPostgresUrl();
    // The template is migrated: drop the schema so both opens race on a fresh one.
    const s = await PostgresStore.open(url);
    await s.pool.query(
      `DROP TABLE amltk_schema, runs, history_steps, history_chunks, history_values, system_values,
         console_lines, server_ingest, server_api_keys`,
    );
    await s.close();
    const both = await Promise.all([PostgresStore.open(url), PostgresStore.open(url)]);
    const v = await both[0].pool.query("SELECT version FROM amltk_schema");
    expect(v.rows).toEqual([{ version: PG_MIGRATIONS.length }]);
    await both[0].createRun({ id: "m1", project: "p", name: "m1", createdAt: 1 });
    expect((await both[1].getRun("m1"))?.name).toBe("m1");
    await Promise.all(both.map((x) => x.close()));
  });

  it("keeps NaN, ±Infinity and -0 exact in history chunks", async () => {
    const store = await freshPostgresStore();
    try {
      await store.createRun({ id: "f1", project: "p", name: "f1", createdAt: 1 });
      const vals = [
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        -0,
        5e-324,
        1e308,
      ];
      await store.appendHistory(
        "f1",
        vals.map((v, step) => ({ step, runtime: step, timestamp: 1 + step, values: { v } })),
      );
      const got = (await store.readPoints({ runId: "f1", key: "v" })).map((p) => p.value);
      expect(got).toEqual(vals);
      expect(Object.is(got[3], -0)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
