/** Shared by the server and online-mode tests: a real server over a real SQLite store in a temp dir. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../store/sqlite/index.js";
import { ApiKeys } from "./auth.js";
import { createServer, type RunningServer, type ServerOptions } from "./create-server.js";
import { decodeJson, encodeJson } from "./protocol.js";

export interface TestServer {
  dir: string;
  store: SqliteStore;
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

export async function startTestServer(
  opts: Partial<ServerOptions> & { dir?: string } = {},
): Promise<TestServer> {
  const dir = opts.dir ?? tempDir();
  const store = await SqliteStore.open(dir);
  const { key } = new ApiKeys(store.db).create("test");
  const server = await createServer({ ...opts, store, port: opts.port ?? 0 });
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
