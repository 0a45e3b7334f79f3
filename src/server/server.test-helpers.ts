/**
 * Shared by the server and online-mode tests: a real server over a real store in a temp dir
 * (SQLite by default; `startServerOn` takes any backend of {@link STORE_BACKENDS}).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postgresAvailability } from "../../test/services/postgres.js";
import { skipBecause } from "../../test/skip.js";
import { decodeJson, encodeJson } from "../shared/json-numbers.js";
import type { PostgresStore } from "../store/postgres/index.js";
import { freshPostgresStore } from "../store/postgres/postgres.test-helpers.js";
import { SqliteStore } from "../store/sqlite/index.js";
import type { Store } from "../store/types.js";
import { MemoryStore } from "../track/memory-store.js";
import { ApiKeys } from "./auth.js";
import { createServer, type RunningServer, type ServerOptions } from "./create-server.js";

/** A store the server can run on, as the write-API and fuzz tests open it. */
export interface StoreBackend<S extends Store = Store> {
  name: string;
  open(dir: string): Promise<S>;
}

export const SQLITE_BACKEND: StoreBackend<SqliteStore> = {
  name: "sqlite",
  open: (dir) => SqliteStore.open(dir),
};

export const MEMORY_BACKEND: StoreBackend<MemoryStore> = {
  name: "memory",
  open: async () => new MemoryStore(),
};

/**
 * PostgreSQL: a fresh database per store on one private cluster per test process
 * (`test/services/postgres.ts`, stopped when the process ends). Its API keys stay in a SQLite
 * file of the test folder, as for the memory store (the PostgreSQL key table has its own tests).
 */
export const POSTGRES_BACKEND: StoreBackend<PostgresStore> = {
  name: "postgres",
  open: () => freshPostgresStore(),
};

const PG = postgresAvailability("server tests on PostgreSQL");
/** Whether PostgreSQL tests are skipped here (reason printed; under CI=true a missing one fails). */
export const NO_POSTGRES = skipBecause(!PG.found, "server tests on PostgreSQL", PG.reason);

/** Every store the project has that a server can write (the online client store is not one). */
export const STORE_BACKENDS: readonly StoreBackend[] = [
  SQLITE_BACKEND,
  MEMORY_BACKEND,
  ...(NO_POSTGRES ? [] : [POSTGRES_BACKEND]),
];

export interface TestServer<S extends Store = SqliteStore> {
  dir: string;
  store: S;
  server: RunningServer;
  key: string;
  /** fetch against the server, JSON in and out, key attached unless `key: null`. */
  call(
    method: string,
    path: string,
    body?: unknown,
    key?: string | null,
  ): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export function tempDir(prefix = "amltk-server-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function startTestServer(
  opts: Partial<ServerOptions> & { dir?: string } = {},
): Promise<TestServer> {
  return startServerOn(SQLITE_BACKEND, opts);
}

/**
 * A server over `backend`'s store. API keys live in a SQLite file in the same folder: the
 * store's own for SQLite, a separate one for a store that has no file.
 */
export async function startServerOn<S extends Store>(
  backend: StoreBackend<S>,
  opts: Partial<ServerOptions> & { dir?: string } = {},
): Promise<TestServer<S>> {
  const { dir: given, ...serverOpts } = opts;
  const dir = given ?? tempDir();
  const store = await backend.open(dir);
  const keyStore = store instanceof SqliteStore ? store : SqliteStore.openSync(dir);
  const keys = new ApiKeys(keyStore.db);
  const { key } = keys.create("test");
  const auth = opts.auth === false ? false : { ...opts.auth, keys };
  const server = await createServer({ ...serverOpts, auth, store, port: opts.port ?? 0 });
  const call: TestServer["call"] = async (method, path, body, k) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    const useKey = k === undefined ? key : k;
    if (useKey) headers.authorization = `Bearer ${useKey}`;
    const res = await fetch(server.url + path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : encodeJson(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = decodeJson(text);
    } catch {
      // not JSON (static pages)
    }
    return { status: res.status, body: parsed };
  };
  return {
    dir,
    store,
    server,
    key,
    call,
    async stop() {
      await server.close();
      await store.close();
      if (keyStore !== (store as Store)) await keyStore.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fixed epoch (ms) so that stored times are predictable in assertions. */
export const T0 = 1_764_000_000_000;

/** A batch op that creates run "r" in project "p" (fields overridable). */
export function createOp(seq: number, over: Record<string, unknown> = {}) {
  return {
    seq,
    type: "create",
    run: { project: "p", name: "r", createdAt: T0, config: { lr: 0.1 }, tags: ["a"], ...over },
  };
}

/** `n` history rows from step `from`, with `loss = f(step)` and `acc = 1`. */
export function rows(from: number, n: number, f: (s: number) => number = (s) => s) {
  return Array.from({ length: n }, (_, i) => ({
    step: from + i,
    runtime: from + i,
    timestamp: T0 / 1000 + from + i,
    values: { loss: f(from + i), acc: 1 },
  }));
}
