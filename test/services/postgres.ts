/**
 * A private PostgreSQL cluster for tests and benches: `initdb` + `pg_ctl` in a fresh temp
 * folder, listening on a Unix socket in that folder and on a free 127.0.0.1 port, removed
 * after. Nothing is shared with other test files or with a system PostgreSQL.
 *
 * - Run as root, the cluster belongs to a system user `amltk-pg` (created with `useradd` when
 *   missing): `initdb` refuses root.
 * - `fsync=off` and `full_page_writes=off` only matter when the operating system crashes; a
 *   killed or restarted server keeps every commit it acknowledged (WAL is written at commit),
 *   so the fault tests keep their meaning. `synchronous_commit` stays on for that reason.
 * - A watchdog (`tail --pid`) stops the postmaster and removes the folder when the process
 *   that started the cluster dies without cleaning up (a SIGKILLed vitest worker).
 * - Missing binaries: {@link postgresAvailability} says why, and throws under `CI=true`
 *   (`.ci/run` installs Debian's `postgresql`), like the browser suites do without Chromium.
 *
 * @example
 * ```ts
 * const PG = postgresAvailability("PostgreSQL store");
 * const noPg = skipBecause(!PG.found, "PostgreSQL store", PG.reason);
 * describe.skipIf(noPg)("on PostgreSQL", () => {
 *   let pg: PgCluster;
 *   beforeAll(async () => { pg = await startPostgres(); });
 *   afterAll(() => pg.stop());
 *   it("works", async () => { const url = await pg.createDatabase(); ... });
 * });
 * ```
 */
import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { isCi } from "../skip.js";

/** The OS user that owns clusters when tests run as root. */
export const PG_OS_USER = "amltk-pg";
/** The cluster's superuser (trust authentication: local test clusters only). */
export const PG_SUPERUSER = "postgres";

const INSTALL = "apt-get install -y postgresql";

/** A service CI expects (`.ci/run` installs it) is missing. */
export class MissingPostgresError extends Error {
  override name = "MissingPostgresError";
}

/** The folder holding `initdb`, `pg_ctl` and `postgres`, or undefined when none is installed. */
export function postgresBinDir(): string | undefined {
  const given = process.env.AMLTK_PG_BIN;
  if (given) return existsSync(join(given, "pg_ctl")) ? given : undefined;
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    // The newest installed major version.
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], "bin");
  }
  const onPath = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  const dir = onPath.status === 0 ? onPath.stdout.trim() : "";
  return dir && existsSync(join(dir, "initdb")) ? dir : undefined;
}

/**
 * Whether PostgreSQL can be started here; `reason` says why not and how to install it. Under
 * `CI=true` a missing PostgreSQL throws {@link MissingPostgresError}, which fails the file.
 */
export function postgresAvailability(
  suite: string,
  env: NodeJS.ProcessEnv = process.env,
): { found: boolean; reason: string } {
  const bin = postgresBinDir();
  if (bin) return { found: true, reason: "" };
  const reason = `no PostgreSQL binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or on PATH; install with \`${INSTALL}\` (or set AMLTK_PG_BIN)`;
  if (isCi(env)) {
    throw new MissingPostgresError(
      `${suite}: ${reason}, and CI=${env.CI} expects the PostgreSQL suites to run`,
    );
  }
  return { found: false, reason: `${reason}; under CI=true this fails` };
}

/** A free TCP port on 127.0.0.1 (the OS picks it; a tiny race with other binders remains). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Creates the cluster owner when running as root (idempotent). */
function ensureOsUser(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  const look = () => spawnSync("id", ["-u", PG_OS_USER], { encoding: "utf8" });
  if (look().status !== 0) {
    // Two test files may race to create it; the loser's failure is fine if the user exists.
    spawnSync("useradd", ["-m", "-r", PG_OS_USER], { stdio: "ignore" });
  }
  const uid = look();
  if (uid.status !== 0) throw new Error(`cannot create the OS user ${PG_OS_USER} (useradd)`);
  const gid = spawnSync("id", ["-g", PG_OS_USER], { encoding: "utf8" }).stdout.trim();
  return { uid: Number(uid.stdout.trim()), gid: Number(gid) };
}

/** argv that runs `cmd` as the cluster owner (setpriv when root, as is otherwise). */
function asOwner(owner: { uid: number; gid: number } | undefined, cmd: string[]): string[] {
  if (!owner) return cmd;
  return [
    "setpriv",
    `--reuid=${owner.uid}`,
    `--regid=${owner.gid}`,
    "--clear-groups",
    "--",
    ...cmd,
  ];
}

function run(argv: string[], what: string): string {
  try {
    return execFileSync(argv[0]!, argv.slice(1), {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new Error(`${what} failed: ${e.stderr || e.stdout || String(err)}`, { cause: err });
  }
}

/** Options of {@link startPostgres}. */
export interface PgClusterOptions {
  /** Extra `postgresql.conf` lines. */
  conf?: readonly string[];
}

/** A running private cluster; see the module comment. */
export interface PgCluster {
  /** The temp folder (data in `data/`, the socket in the folder itself). */
  readonly dir: string;
  /** The 127.0.0.1 port (stays the same across {@link restart}). */
  readonly port: number;
  /** A connection URL for database `db` over TCP on 127.0.0.1. */
  url(db?: string): string;
  /** A connection URL for database `db` over the Unix socket. */
  socketUrl(db?: string): string;
  /** Creates a fresh database (from `template` when given) and returns its TCP URL. */
  createDatabase(opts?: { name?: string; template?: string }): Promise<string>;
  /** Runs one SQL statement as the superuser in database `db` (default `postgres`). */
  sql(text: string, db?: string): Promise<pg.QueryResult>;
  /** Stops the postmaster (`-m fast`: connections are cut, 57P01 to their clients). */
  stopServer(mode?: "fast" | "immediate"): void;
  /** Starts it again on the same data folder and port. */
  startServer(): void;
  /** {@link stopServer} then {@link startServer}. */
  restart(mode?: "fast" | "immediate"): void;
  /**
   * {@link restart} without blocking this process's event loop (an in-process server and its
   * clients keep running while the database goes down and comes back).
   */
  restartAsync(mode?: "fast" | "immediate"): Promise<void>;
  /** Stops the cluster for good and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

let databases = 0;

/**
 * Starts a private cluster (about 1-2 s: initdb plus start). Throws when PostgreSQL is not
 * installed: check {@link postgresAvailability} first.
 */
export async function startPostgres(opts: PgClusterOptions = {}): Promise<PgCluster> {
  const bin = postgresBinDir();
  if (!bin) throw new MissingPostgresError(`PostgreSQL is not installed (${INSTALL})`);
  const owner = ensureOsUser();
  const dir = mkdtempSync(join(tmpdir(), "amltk-pg-"));
  const data = join(dir, "data");
  const port = await freePort();
  if (owner) spawnSync("chown", ["-R", `${owner.uid}:${owner.gid}`, dir]);
  chmodSync(dir, 0o755);
  run(
    asOwner(owner, [
      join(bin, "initdb"),
      "-D",
      data,
      "-U",
      PG_SUPERUSER,
      "--auth=trust",
      "--no-sync",
      "-E",
      "UTF8",
      "--locale=C",
    ]),
    "initdb",
  );
  const conf = [
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${dir}'`,
    // Test-speed settings that change nothing short of an OS crash (see the module comment).
    "fsync = off",
    "full_page_writes = off",
    "max_connections = 200",
    "shared_buffers = 64MB",
    "logging_collector = off",
    ...(opts.conf ?? []),
  ];
  writeFileSync(join(data, "postgresql.auto.conf"), `${conf.join("\n")}\n`);
  if (owner) spawnSync("chown", [`${owner.uid}:${owner.gid}`, join(data, "postgresql.auto.conf")]);
  const log = join(dir, "server.log");
  const pgCtl = (args: string[], what: string) =>
    run(asOwner(owner, [join(bin, "pg_ctl"), "-D", data, ...args]), what);
  const startServer = () => pgCtl(["-l", log, "-w", "-t", "60", "start"], "pg_ctl start");
  const stopServer = (mode: "fast" | "immediate" = "fast") =>
    pgCtl(["-m", mode, "-w", "-t", "60", "stop"], "pg_ctl stop");
  startServer();
  const watchdog = startWatchdog(asOwner(owner, [join(bin, "pg_ctl"), "-D", data]), dir);
  let stopped = false;
  const cleanup = () => {
    if (stopped) return;
    stopped = true;
    const argv = asOwner(owner, [join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "stop"]);
    spawnSync(argv[0]!, argv.slice(1), { stdio: "ignore" });
    // The watchdog's whole group (sh and its tail).
    try {
      process.kill(-watchdog.pid!, "SIGKILL");
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", cleanup);
  const url = (db = "postgres") => `postgres://${PG_SUPERUSER}@127.0.0.1:${port}/${db}`;
  const sql = async (text: string, db = "postgres") => {
    const client = new pg.Client({ connectionString: url(db) });
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  };
  return {
    dir,
    port,
    url,
    socketUrl: (db = "postgres") =>
      `postgres://${PG_SUPERUSER}@/${db}?host=${encodeURIComponent(dir)}&port=${port}`,
    async createDatabase(o = {}) {
      const name = o.name ?? `t${process.pid}_${++databases}`;
      const from = o.template ? ` TEMPLATE "${o.template}"` : "";
      await sql(`CREATE DATABASE "${name}"${from}`);
      return url(name);
    },
    sql,
    stopServer,
    startServer,
    restart(mode = "fast") {
      stopServer(mode);
      startServer();
    },
    async restartAsync(mode = "fast") {
      const argv = asOwner(owner, [
        join(bin, "pg_ctl"),
        "-D",
        data,
        "-m",
        mode,
        "-l",
        log,
        "-w",
        "-t",
        "60",
        "restart",
      ]);
      await new Promise<void>((resolve, reject) =>
        execFile(argv[0]!, argv.slice(1), (err, _out, stderr) =>
          err ? reject(new Error(`pg_ctl restart failed: ${stderr}`, { cause: err })) : resolve(),
        ),
      );
    },
    async stop() {
      process.removeListener("exit", cleanup);
      cleanup();
    },
  };
}

/**
 * A detached shell that waits for this process to end, then stops the cluster and removes its
 * folder. Killed by a normal `stop()`; it only acts when this process died first.
 */
function startWatchdog(pgCtl: string[], dir: string): ChildProcess {
  const quoted = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = [
    `tail --pid=${process.pid} -f /dev/null`,
    `${pgCtl.map(quoted).join(" ")} -m immediate stop >/dev/null 2>&1`,
    `rm -rf ${quoted(dir)}`,
  ].join("; ");
  const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
  child.unref();
  return child;
}

let shared: Promise<PgCluster> | undefined;

/**
 * One cluster per test process, started on first use and stopped when the process exits (or,
 * when it is killed, by the watchdog). For backend lists (`STORE_BACKENDS`) that cannot
 * register hooks of their own.
 */
export function sharedPostgres(): Promise<PgCluster> {
  shared ??= startPostgres();
  return shared;
}
