/**
 * A PostgreSQL transaction keeps the rows of the runs it locked: the server's ingest looks at its
 * run three times a request, and only the first look is a statement. What it answers must equal
 * what the database holds, and a caller editing a record must not edit what the next look sees.
 */
import pg from "pg";
import { describe, expect, it } from "vitest";
import { postgresAvailability } from "../../../test/services/postgres.js";
import { skipBecause } from "../../../test/skip.js";
import { freshPostgresUrl } from "./postgres.test-helpers.js";
import { PostgresStore } from "./postgres-store.js";
import { PgTransaction } from "./transaction.js";

const PG = postgresAvailability("PostgreSQL transaction");
const noPg = skipBecause(!PG.found, "PostgreSQL transaction", PG.reason);

describe.skipIf(noPg)("PgTransaction's kept run rows", () => {
  it("looks at a run once per request and answers what the database holds", async () => {
    const url = await freshPostgresUrl();
    const store = await PostgresStore.open(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const sent: string[] = [];
    const counting = {
      query: (text: string, values?: unknown[]) => {
        sent.push(text);
        return client.query(text, values);
      },
    } as unknown as pg.PoolClient;
    try {
      await store.createRun({ id: "k1", project: "p", name: "k1", createdAt: 1, tags: ["a"] });
      await client.query("BEGIN");
      const tx = new PgTransaction(counting);
      // The ingest's three looks: the guard, a heartbeat's revival, the answer's nextStep.
      const first = await tx.getRun("k1");
      first!.tags.push("edited by the caller");
      const rows = [0, 1, 2].map((step) => ({
        step,
        runtime: step,
        timestamp: 1,
        values: { x: step },
      }));
      await tx.appendHistory("k1", rows);
      const afterHistory = await tx.getRun("k1");
      await tx.updateRun("k1", { summary: { x: 2 }, heartbeatAt: 5 });
      const afterPatch = await tx.getRun("k1");
      const looks = sent.filter((s) => /FROM runs r WHERE r\.id/.test(s));
      expect(looks).toHaveLength(1);
      expect(afterHistory).toMatchObject({ nextStep: 3, tags: ["a"] });
      expect(afterPatch).toMatchObject({ nextStep: 3, summary: { x: 2 }, heartbeatAt: 5 });
      await client.query("COMMIT");
      // What the transaction answered is what it left in the database.
      expect(await store.getRun("k1")).toEqual(afterPatch);
    } finally {
      await client.end();
      await store.close();
    }
  });

  it("forgets a run another statement of the transaction changed", async () => {
    const url = await freshPostgresUrl();
    const store = await PostgresStore.open(url);
    try {
      await store.createRun({ id: "k2", project: "p", name: "k2", createdAt: 1 });
      const seen = await store.transaction(async (tx) => {
        await tx.getRun("k2");
        await (tx as PgTransaction).markCrashed(["k2"]);
        return tx.getRun("k2");
      });
      expect(seen?.state).toBe("crashed");
    } finally {
      await store.close();
    }
  });
});
