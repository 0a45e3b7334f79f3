/**
 * API keys on PostgreSQL: `amltk keys create/list/revoke --store postgres://...` write the
 * store's key table, a server on the database accepts a created key, and a key revoked by
 * another process (another store connection) is refused by the running server soon after,
 * without a restart. Real cluster, real HTTP server.
 */
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { postgresAvailability } from "../../test/services/postgres.js";
import { skipBecause } from "../../test/skip.js";
import { registerServerCommands } from "../cli/server-command.js";
import { PostgresStore } from "../store/postgres/index.js";
import { freshPostgresUrl } from "../store/postgres/postgres.test-helpers.js";
import { createServer, type RunningServer } from "./create-server.js";
import { PostgresKeyAdmin, PostgresServerKeys } from "./postgres-keys.js";

const PG = postgresAvailability("API keys on PostgreSQL");
const noPg = skipBecause(!PG.found, "API keys on PostgreSQL", PG.reason);

/** Runs `amltk <args>` in-process; returns what it printed to stdout. */
async function amltk(args: string[]): Promise<string[]> {
  const out: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => {
    out.push(a.join(" "));
  });
  const err = vi.spyOn(console, "error").mockImplementation(() => {});
  try {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
    registerServerCommands(program);
    await program.parseAsync(["node", "amltk", ...args]);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  return out;
}

/** Polls `probe` until it answers `want` or the deadline passes; returns the last answer. */
async function until<T>(probe: () => Promise<T>, want: T, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  let got = await probe();
  while (got !== want && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    got = await probe();
  }
  return got;
}

describe.skipIf(noPg)("API keys in PostgreSQL", () => {
  let url: string;
  let store: PostgresStore;
  let keys: PostgresServerKeys;
  let server: RunningServer;

  beforeAll(async () => {
    url = await freshPostgresUrl();
    store = await PostgresStore.open(url);
    keys = await PostgresServerKeys.open(store);
    server = await createServer({ store, port: 0, auth: { keys: keys.keys } });
  });
  afterAll(async () => {
    await server?.close();
    await keys?.close();
    await store?.close();
  });

  const write = (key: string) =>
    fetch(`${server.url}/api/runs/k1/batch`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({
        writer: "writer-0001",
        ops: [
          {
            seq: 1,
            type: "create",
            run: { project: "p", name: "k1", createdAt: 1_764_000_000_000 },
            resume: true,
          },
        ],
      }),
    }).then((r) => r.status);

  it("creates, lists and revokes keys through the CLI, and the running server follows", async () => {
    const [key] = await amltk(["keys", "create", "--store", url, "--name", "ci"]);
    expect(key).toMatch(/^amltk_/);
    const listed = await amltk(["keys", "list", "--store", url]);
    expect(listed.join("\n")).toMatch(/ ci {2}write {2}projects \* /);
    // Created in another connection: the server's copy reloads on the notice.
    expect(await until(() => write(key!), 200)).toBe(200);
    const id = key!.split("_")[1]!;
    expect(await amltk(["keys", "revoke", id, "--store", url])).toEqual([`revoked ${id}`]);
    expect(await until(() => write(key!), 401)).toBe(401);
    expect((await new PostgresKeyAdmin(store).list())[0]?.revokedAt).toBeTypeOf("number");
    expect(await new PostgresKeyAdmin(store).any()).toBe(false);
  });

  it("is where createServer({ store }) checks keys on PostgreSQL when none are given", async () => {
    const own = await createServer({ store, port: 0 });
    try {
      const { key } = await new PostgresKeyAdmin(store).create("default-keys");
      const post = () =>
        fetch(`${own.url}/api/runs/k2/batch`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
          body: JSON.stringify({
            writer: "writer-0002",
            ops: [
              {
                seq: 1,
                type: "create",
                run: { project: "p", name: "k2", createdAt: 1_764_000_000_000 },
              },
            ],
          }),
        }).then((r) => r.status);
      expect(await until(post, 200)).toBe(200);
    } finally {
      await own.close();
    }
  });

  it("refuses a key that was never made, and a malformed one", async () => {
    expect(await write("amltk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).toBe(401);
    expect(await write("nonsense")).toBe(401);
  });
});
