/**
 * The PostgreSQL store's schema as ordered migrations, applied on open in one transaction under
 * an advisory lock (two servers starting on one database at once: the second waits, then sees
 * the work done). `amltk_schema.version` records how many have run; a database migrated by a
 * newer amltk is refused with {@link StoreSchemaTooNewError} rather than misread.
 *
 * History is stored as the SQLite store does it (chunks of up to 4,096 points per (run, key)
 * with min/max/last/count), but as `float8[]` rather than packed BLOBs: the database can then
 * `unnest` them and bucket series itself (`series.ts`), so a chart reads buckets, not points.
 * `STORAGE EXTERNAL` skips compressing them (random floats do not compress; trying costs).
 */
import type pg from "pg";
import { AmltkError } from "../../shared/errors.js";

/** Ordered migrations. Never edit one that shipped; add a new one. */
export const PG_MIGRATIONS: readonly string[] = [
  `CREATE TABLE runs (
     id text PRIMARY KEY,
     project text NOT NULL,
     entity text,
     grp text,
     job_type text,
     name text NOT NULL,
     notes text,
     tags text[] NOT NULL DEFAULT '{}',
     config text NOT NULL DEFAULT '{}',
     summary text NOT NULL DEFAULT '{}',
     state text NOT NULL,
     exit_code bigint,
     created_at float8 NOT NULL,
     heartbeat_at float8 NOT NULL,
     finished_at float8,
     pid bigint,
     host text,
     owner_start text,
     next_step bigint NOT NULL DEFAULT 0
   );
   CREATE INDEX runs_project ON runs (project, created_at);
   CREATE INDEX runs_running ON runs (state) WHERE state = 'running';
   CREATE TABLE history_steps (
     id bigserial PRIMARY KEY,
     run text NOT NULL,
     min_step bigint NOT NULL,
     max_step bigint NOT NULL,
     n integer NOT NULL,
     steps float8[],
     runtimes float8[] NOT NULL,
     ts float8[] NOT NULL
   );
   CREATE INDEX history_steps_run ON history_steps (run, max_step);
   CREATE TABLE history_chunks (
     id bigserial PRIMARY KEY,
     run text NOT NULL,
     key text NOT NULL,
     min_step bigint NOT NULL,
     max_step bigint NOT NULL,
     n integer NOT NULL,
     steps float8[],
     vals float8[] NOT NULL,
     ts float8[] NOT NULL,
     min_ts float8 NOT NULL,
     max_ts float8 NOT NULL,
     nfin integer NOT NULL,
     vmin float8,
     vmax float8,
     vlast float8
   );
   CREATE INDEX history_chunks_key ON history_chunks (run, key, max_step)
     INCLUDE (min_step, n, min_ts, max_ts, nfin, vmin, vmax, vlast);
   ALTER TABLE history_steps ALTER COLUMN steps SET STORAGE EXTERNAL,
     ALTER COLUMN runtimes SET STORAGE EXTERNAL, ALTER COLUMN ts SET STORAGE EXTERNAL;
   ALTER TABLE history_chunks ALTER COLUMN steps SET STORAGE EXTERNAL,
     ALTER COLUMN vals SET STORAGE EXTERNAL, ALTER COLUMN ts SET STORAGE EXTERNAL;
   CREATE TABLE history_values (
     run text NOT NULL,
     key text NOT NULL,
     step bigint NOT NULL,
     json text NOT NULL,
     ts float8,
     PRIMARY KEY (run, key, step)
   );
   CREATE TABLE system_values (
     run text NOT NULL,
     key text NOT NULL,
     ts float8 NOT NULL,
     num float8,
     PRIMARY KEY (run, key, ts)
   );
   CREATE TABLE console_lines (
     run text NOT NULL,
     seq integer NOT NULL,
     stream text NOT NULL,
     ts float8 NOT NULL,
     text text NOT NULL,
     PRIMARY KEY (run, seq)
   );
   CREATE TABLE server_ingest (
     run text NOT NULL,
     writer text NOT NULL,
     last_seq bigint NOT NULL,
     updated_at float8 NOT NULL,
     PRIMARY KEY (run, writer)
   );
   CREATE TABLE server_api_keys (
     id text PRIMARY KEY,
     name text NOT NULL,
     salt bytea NOT NULL,
     hash bytea NOT NULL,
     created_at float8 NOT NULL,
     last_used_at float8,
     revoked_at float8,
     scope text NOT NULL DEFAULT 'write',
     projects text
   );`,
  // 2: the first statements of an ingest batch as functions, one round trip each instead of two
  // or three (PL/pgSQL takes a fresh snapshot per statement, so a read after a lock wait sees
  // what the lock holder committed).
  `CREATE OR REPLACE FUNCTION amltk_ingest_seq(p_run text, p_writer text) RETURNS float8
   LANGUAGE plpgsql VOLATILE AS $$
   BEGIN
     PERFORM pg_advisory_xact_lock(hashtextextended(p_run || '/' || p_writer, 0));
     RETURN (SELECT i.last_seq::float8 FROM server_ingest i
             WHERE i.run = p_run AND i.writer = p_writer);
   END $$;
   CREATE OR REPLACE FUNCTION amltk_history_tails(p_run text, p_next bigint, p_keys text[])
   RETURNS TABLE (t_before float8, t_id float8, t_key text, t_n integer, t_max float8,
     t_cons boolean)
   LANGUAGE plpgsql VOLATILE AS $$
   DECLARE b bigint;
   BEGIN
     SELECT r.next_step INTO b FROM runs r WHERE r.id = p_run FOR UPDATE;
     IF NOT FOUND THEN RETURN; END IF;
     UPDATE runs r SET next_step = GREATEST(r.next_step, p_next) WHERE r.id = p_run;
     RETURN QUERY SELECT b::float8, NULL::float8, NULL::text, NULL::integer, NULL::float8,
       NULL::boolean;
     IF b > 0 AND p_keys IS NOT NULL THEN
       RETURN QUERY (SELECT b::float8, s.id::float8, NULL::text, s.n, s.max_step::float8,
           s.steps IS NULL
         FROM history_steps s WHERE s.run = p_run ORDER BY s.max_step DESC, s.id DESC LIMIT 1);
       RETURN QUERY (SELECT DISTINCT ON (c.key) b::float8, c.id::float8, c.key, c.n,
           c.max_step::float8, c.steps IS NULL
         FROM history_chunks c WHERE c.run = p_run AND c.key = ANY(p_keys)
         ORDER BY c.key, c.max_step DESC, c.id DESC);
     END IF;
   END $$;`,
  // 3: each key's last chunk by a backward index scan (one per key) instead of DISTINCT ON over
  // every chunk of the run: the index (run, key, max_step) cannot give key ASC with max_step DESC,
  // so that form read and sorted all the run's chunks on every write (measured under 20 online
  // writers: the top statement, 0.8 ms a call and growing with the run's length).
  `CREATE OR REPLACE FUNCTION amltk_history_tails(p_run text, p_next bigint, p_keys text[])
   RETURNS TABLE (t_before float8, t_id float8, t_key text, t_n integer, t_max float8,
     t_cons boolean)
   LANGUAGE plpgsql VOLATILE AS $$
   DECLARE b bigint;
   BEGIN
     SELECT r.next_step INTO b FROM runs r WHERE r.id = p_run FOR UPDATE;
     IF NOT FOUND THEN RETURN; END IF;
     UPDATE runs r SET next_step = GREATEST(r.next_step, p_next) WHERE r.id = p_run;
     RETURN QUERY SELECT b::float8, NULL::float8, NULL::text, NULL::integer, NULL::float8,
       NULL::boolean;
     IF b > 0 AND p_keys IS NOT NULL THEN
       RETURN QUERY (SELECT b::float8, s.id::float8, NULL::text, s.n, s.max_step::float8,
           s.steps IS NULL
         FROM history_steps s WHERE s.run = p_run ORDER BY s.max_step DESC, s.id DESC LIMIT 1);
       RETURN QUERY (SELECT b::float8, c.id::float8, k.key, c.n, c.max_step::float8,
           c.steps IS NULL
         FROM unnest(p_keys) AS k(key)
         CROSS JOIN LATERAL (SELECT h.id, h.n, h.max_step, h.steps FROM history_chunks h
           WHERE h.run = p_run AND h.key = k.key
           ORDER BY h.max_step DESC, h.id DESC LIMIT 1) c);
     END IF;
   END $$;`,
];

/**
 * The database was migrated by a newer amltk than this one (its schema version is higher than
 * the migrations this code knows). Code `schema_too_new`; upgrade amltk, or point it at
 * another database.
 *
 * @example
 * ```ts
 * try {
 *   await PostgresStore.open(url);
 * } catch (e) {
 *   if (e instanceof StoreSchemaTooNewError) console.error(e.databaseVersion, e.codeVersion);
 * }
 * ```
 */
export class StoreSchemaTooNewError extends AmltkError<"schema_too_new"> {
  override name = "StoreSchemaTooNewError";
  constructor(
    readonly where: string,
    readonly databaseVersion: number,
    readonly codeVersion: number,
  ) {
    super(
      "schema_too_new",
      `${where}: the database schema is version ${databaseVersion}, newer than this amltk knows ` +
        `(version ${codeVersion}); upgrade amltk to use it`,
    );
  }
}

/** The advisory lock key migrations hold (an arbitrary constant: "amltk" in ASCII). */
const MIGRATION_LOCK = 0x616d6c746b;

/** The schema version recorded in the database (0 for a fresh one). */
async function recordedVersion(client: pg.ClientBase): Promise<number> {
  const r = await client.query<{ version: number }>(
    "SELECT version FROM amltk_schema WHERE id = 1",
  );
  return r.rows[0]?.version ?? 0;
}

/**
 * Brings the database to the current schema. The common case (already current) is one read;
 * otherwise one transaction holding the migration lock applies what is missing.
 *
 * @throws StoreSchemaTooNewError when the database is newer than this code.
 */
export async function migrate(pool: pg.Pool, where: string): Promise<void> {
  const client = await pool.connect();
  try {
    const exists = await client.query("SELECT to_regclass('amltk_schema') AS t");
    if (exists.rows[0]?.t) {
      const version = await recordedVersion(client);
      if (version > PG_MIGRATIONS.length) {
        throw new StoreSchemaTooNewError(where, version, PG_MIGRATIONS.length);
      }
      if (version === PG_MIGRATIONS.length) return;
    }
    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      await client.query(
        "CREATE TABLE IF NOT EXISTS amltk_schema (id integer PRIMARY KEY, version integer NOT NULL)",
      );
      const version = await recordedVersion(client);
      if (version > PG_MIGRATIONS.length) {
        throw new StoreSchemaTooNewError(where, version, PG_MIGRATIONS.length);
      }
      for (let i = version; i < PG_MIGRATIONS.length; i++) await client.query(PG_MIGRATIONS[i]!);
      await client.query(
        `INSERT INTO amltk_schema (id, version) VALUES (1, $1)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version`,
        [PG_MIGRATIONS.length],
      );
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    }
  } finally {
    client.release();
  }
}
