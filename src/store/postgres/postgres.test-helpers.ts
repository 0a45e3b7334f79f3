/**
 * PostgreSQL stores for tests: one private cluster per test process (`test/services/postgres.ts`)
 * and a fresh database per store, copied from a migrated template (fast: no migrations per case).
 */
import { type PgCluster, sharedPostgres } from "../../../test/services/postgres.js";
import { PostgresStore, type PostgresStoreOptions } from "./postgres-store.js";

let template: Promise<{ pg: PgCluster; name: string }> | undefined;

/** The shared cluster with a migrated template database made once. */
function migratedTemplate(): Promise<{ pg: PgCluster; name: string }> {
  template ??= (async () => {
    const pg = await sharedPostgres();
    const name = `amltk_template_${process.pid}`;
    const url = await pg.createDatabase({ name });
    const store = await PostgresStore.open(url);
    await store.close();
    return { pg, name };
  })();
  return template;
}

/** A URL of a fresh, migrated, empty database on the shared cluster. */
export async function freshPostgresUrl(): Promise<string> {
  const { pg, name } = await migratedTemplate();
  return pg.createDatabase({ template: name });
}

/** A store on a fresh database of the shared cluster. */
export async function freshPostgresStore(opts?: PostgresStoreOptions): Promise<PostgresStore> {
  return PostgresStore.open(await freshPostgresUrl(), opts);
}
