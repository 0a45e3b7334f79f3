/** The private PostgreSQL cluster harness: starts, serves a fresh database, survives a restart, leaves nothing behind. */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { skipBecause } from "../skip.js";
import { MissingPostgresError, postgresAvailability, startPostgres } from "./postgres.js";

const PG = postgresAvailability("PostgreSQL harness");
const noPg = skipBecause(!PG.found, "PostgreSQL harness", PG.reason);

describe("postgresAvailability", () => {
  it("fails under CI when PostgreSQL is missing, and says how to install it", () => {
    const saved = process.env.AMLTK_PG_BIN;
    process.env.AMLTK_PG_BIN = "/nowhere";
    try {
      expect(() => postgresAvailability("s", { CI: "true" })).toThrow(MissingPostgresError);
      const out = postgresAvailability("s", {});
      expect(out.found).toBe(false);
      expect(out.reason).toContain("apt-get install -y postgresql");
    } finally {
      if (saved === undefined) delete process.env.AMLTK_PG_BIN;
      else process.env.AMLTK_PG_BIN = saved;
    }
  });
});

describe.skipIf(noPg)("private PostgreSQL cluster", () => {
  it("creates databases, keeps data across a restart, and removes its folder on stop", async () => {
    const pg = await startPostgres();
    try {
      const url = await pg.createDatabase();
      const db = url.slice(url.lastIndexOf("/") + 1);
      await pg.sql("CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2)", db);
      pg.restart("immediate");
      expect((await pg.sql("SELECT count(*)::int AS n FROM t", db)).rows[0]).toEqual({ n: 2 });
      const copy = await pg.createDatabase({ template: db });
      const name = copy.slice(copy.lastIndexOf("/") + 1);
      expect((await pg.sql("SELECT count(*)::int AS n FROM t", name)).rows[0]).toEqual({ n: 2 });
    } finally {
      await pg.stop();
    }
    expect(existsSync(pg.dir)).toBe(false);
  });
});
