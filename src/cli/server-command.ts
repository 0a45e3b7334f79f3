/**
 * `amltk ui` (the server + dashboard over a folder or a PostgreSQL database), `amltk keys ...`,
 * `amltk sync`.
 */
import { type Command, InvalidArgumentError } from "commander";
import { type ApiKeyInfo, ApiKeys, type KeyOptions, type KeyScope } from "../server/auth.js";
import { createServer } from "../server/create-server.js";
import { isLoopbackAddress } from "../server/guard.js";
import { PostgresKeyAdmin, PostgresServerKeys } from "../server/postgres-keys.js";
import { describeStoreTarget, isPostgresUrl, openStore, sqliteDirOf } from "../store/open-store.js";
import { PostgresStore } from "../store/postgres/index.js";
import { SqliteStore } from "../store/sqlite/index.js";
import { defaultStoreDir } from "../track/init-options.js";
import { deliverSpools, formatSyncReport } from "../track/online/index.js";
import { syncWandbSpools } from "../track/wandb-online/index.js";

interface DirOption {
  dir?: string;
  /** A run folder or a `postgres://` URL; wins over `dir`. */
  store?: string;
}

function storeDir(opts: DirOption): string {
  return opts.dir ?? defaultStoreDir();
}

/** What `--store` (or `--dir`) names: a PostgreSQL URL or a run folder. */
function storeTarget(opts: DirOption): string {
  return opts.store ?? storeDir(opts);
}

const STORE_HELP = "run folder or postgres:// URL (default: --dir, $AMLTK_DIR or ./amltk-runs)";

/** `--timeout` of `amltk sync`: positive seconds. */
function parseSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError(
      `--timeout must be a positive number of seconds, got ${JSON.stringify(v)}`,
    );
  }
  return n;
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid port ${v}`);
  return n;
}

/** Collects a repeatable option (`--project a --project b`). */
function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

function parseScope(v: string): KeyScope {
  if (v !== "read" && v !== "write")
    throw new InvalidArgumentError(`must be read or write, got ${JSON.stringify(v)}`);
  return v;
}

/** The key commands over either store: `ApiKeys` on a SQLite file, `PostgresKeyAdmin` on a database. */
interface KeyAdmin {
  create(
    name: string,
    opts: KeyOptions,
  ): { id: string; key: string } | Promise<{ id: string; key: string }>;
  list(): ApiKeyInfo[] | Promise<ApiKeyInfo[]>;
  revoke(id: string): boolean | Promise<boolean>;
}

async function withKeys<T>(opts: DirOption, fn: (keys: KeyAdmin) => T | Promise<T>): Promise<T> {
  const target = storeTarget(opts);
  if (isPostgresUrl(target)) {
    const store = await PostgresStore.open(target);
    try {
      return await fn(new PostgresKeyAdmin(store));
    } finally {
      await store.close();
    }
  }
  const store = SqliteStore.openSync(sqliteDirOf(target));
  try {
    return await fn(new ApiKeys(store.db));
  } finally {
    store.closeSync();
  }
}

export function registerServerCommands(program: Command): void {
  program
    .command("ui")
    .alias("serve")
    .description("serve the dashboard and the HTTP API over a run folder or a PostgreSQL database")
    .option("--dir <dir>", "run folder (default $AMLTK_DIR or ./amltk-runs)")
    .option("--store <dir|url>", STORE_HELP)
    .option("--port <port>", "port (0 = any free one)", parsePort, 8080)
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--auth-reads", "require an API key for reads too")
    .option("--no-auth", "no API keys at all (writes open: local development only)")
    .option(
      "--allow-host <name>",
      "also accept this Host name (e.g. behind a proxy); repeatable",
      collect,
    )
    .option(
      "--allow-origin <origin>",
      "also accept requests from this page origin (https://host:port); repeatable",
      collect,
    )
    .option(
      "--files <dir>",
      "where run files uploaded by wandb clients are kept (default: <run folder>/files; a PostgreSQL store keeps none without it)",
    )
    .action(
      async (
        opts: DirOption & {
          port: number;
          host: string;
          authReads?: boolean;
          auth: boolean;
          allowHost?: string[];
          allowOrigin?: string[];
          files?: string;
        },
      ) => {
        const target = storeTarget(opts);
        const store = await openStore(target);
        // On PostgreSQL the keys live in the database; the server checks a live copy of them.
        const pgKeys =
          store instanceof PostgresStore ? await PostgresServerKeys.open(store) : undefined;
        const reads = opts.authReads === true;
        const server = await createServer({
          store,
          port: opts.port,
          host: opts.host,
          auth: opts.auth === false ? false : pgKeys ? { reads, keys: pgKeys.keys } : { reads },
          allowedHosts: opts.allowHost,
          allowedOrigins: opts.allowOrigin,
          filesDir: opts.files,
          closeStore: true,
        });
        console.log(`amltk ui: ${server.url} (store ${describeStoreTarget(target)})`);
        if (opts.auth === false && !isLoopbackAddress(opts.host)) {
          console.warn(`--no-auth on ${opts.host}: anyone who reaches this port can write runs`);
        }
        const anyKey = pgKeys ? pgKeys.keys.any() : new ApiKeys((store as SqliteStore).db).any();
        if (opts.auth !== false && !anyKey) {
          console.log("no API keys yet: online writers need one (`amltk keys create`)");
        }
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once("SIGINT", stop);
          process.once("SIGTERM", stop);
        });
        await server.close();
        await pgKeys?.close();
      },
    );

  const keys = program.command("keys").description("API keys of a run folder's server");
  keys
    .command("create")
    .description("create an API key (printed once; only its hash is stored)")
    .option("--dir <dir>", "run folder")
    .option("--store <dir|url>", STORE_HELP)
    .option("--name <name>", "a label for the key", "default")
    .option("--scope <scope>", "read (reads only) or write (reads and writes)", parseScope, "write")
    .option("--project <project>", "limit the key to this project; repeatable", collect)
    .action(async (opts: DirOption & { name: string; scope: KeyScope; project?: string[] }) => {
      const { id, key } = await withKeys(opts, (k) =>
        k.create(opts.name, { scope: opts.scope, projects: opts.project }),
      );
      console.log(key);
      const where = opts.project ? `projects ${opts.project.join(", ")}` : "all projects";
      console.error(
        `key ${id} (${opts.scope}, ${where}) created; it is shown only now. Use it as AMLTK_API_KEY.`,
      );
    });
  keys
    .command("list")
    .description("list API keys (ids and labels, never the secrets)")
    .option("--dir <dir>", "run folder")
    .option("--store <dir|url>", STORE_HELP)
    .action(async (opts: DirOption) => {
      const list = await withKeys(opts, (k) => k.list());
      if (list.length === 0) console.log("no keys");
      for (const k of list) {
        const used = k.lastUsedAt ? new Date(k.lastUsedAt).toISOString() : "never";
        const state = k.revokedAt ? `revoked ${new Date(k.revokedAt).toISOString()}` : "active";
        const where = k.projects ? k.projects.join(",") : "*";
        console.log(
          `${k.id}  ${k.name}  ${k.scope}  projects ${where}  created ${new Date(k.createdAt).toISOString()}  used ${used}  ${state}`,
        );
      }
    });
  keys
    .command("revoke <id>")
    .description("revoke an API key by id (a running server refuses it from the next request)")
    .option("--dir <dir>", "run folder")
    .option("--store <dir|url>", STORE_HELP)
    .action(async (id: string, opts: DirOption) => {
      if (!(await withKeys(opts, (k) => k.revoke(id)))) {
        console.error(`no active key ${id}`);
        process.exitCode = 1;
        return;
      }
      console.log(`revoked ${id}`);
    });

  program
    .command("sync")
    .description(
      "deliver online runs spooled to disk; report per run what was delivered and what is left",
    )
    .option("--dir <dir>", "run folder holding spool/ (default $AMLTK_DIR or ./amltk-runs)")
    .option("--base-url <url>", "server (default: the one each run was writing to)")
    .option("--api-key <key>", "API key (default $AMLTK_API_KEY)")
    .option(
      "--timeout <s>",
      "give up when the server has acknowledged nothing for this many seconds",
      parseSeconds,
      30,
    )
    .action(async (opts: DirOption & { baseUrl?: string; apiKey?: string; timeout: number }) => {
      const dir = storeDir(opts);
      const ms = opts.timeout * 1000;
      const sync = deliverSpools({
        dir,
        baseUrl: opts.baseUrl?.replace(/\/+$/, ""),
        apiKey: opts.apiKey,
        requestTimeoutMs: Math.min(60_000, ms),
      });
      const ok = await sync.done(ms);
      // Nothing undelivered is deleted: what is left stays in the spool for the next sync.
      const reports = sync.stop(ok ? undefined : `no acknowledgement for ${opts.timeout} s`);
      // Runs logged with protocol "wandb" spool in <dir>/wandb-spool/ (each names its server).
      const wandb = await syncWandbSpools({
        dir,
        apiKey: opts.apiKey ?? process.env.WANDB_API_KEY,
        timeoutMs: ms,
      });
      if (reports.length + wandb.length === 0) console.log("nothing to sync");
      for (const line of formatSyncReport(reports)) console.log(line);
      for (const w of wandb) {
        const what = w.delivered ? "delivered" : "left in the spool";
        console.log(`${w.runId}: W&B protocol, ${w.lines} lines sent to ${w.baseUrl}, ${what}`);
      }
      const left =
        reports.filter((r) => r.status !== "delivered").length +
        wandb.filter((w) => !w.delivered).length;
      if (left > 0) {
        console.error(
          `${left} of ${reports.length + wandb.length} spool(s) not fully delivered; kept in ${dir}/spool (W&B protocol: ${dir}/wandb-spool) for a later \`amltk sync\``,
        );
        process.exitCode = 1;
      } else if (reports.length + wandb.length > 0) {
        console.log(`synced ${reports.length + wandb.length} spool(s); nothing left`);
      }
      // requests in flight were aborted and retry timers are unref'd; exit now
      process.exit();
    });
}
