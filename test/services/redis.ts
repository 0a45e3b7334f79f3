/**
 * A private `redis-server` for tests and benches: its own temp folder, a free 127.0.0.1 port,
 * persistence off by default (`--save '' --appendonly no`) or AOF when asked
 * (`--appendonly yes --appendfsync always`: every acknowledged write is on disk, so a SIGKILL
 * and restart loses nothing), removed after. Nothing is shared with other test files.
 *
 * - The server runs in its own process group; {@link RedisServer.stop} (call it in `afterAll`)
 *   and an `exit` hook end it, and a watchdog (`tail --pid`) kills it and removes the folder
 *   when the process that started it dies without cleaning up (a SIGKILLed vitest worker).
 * - {@link RedisServer.restart} stops it (SIGKILL by default: nothing graceful) and starts it
 *   again on the same folder and port, so with AOF the data comes back.
 * - Missing `redis-server`: {@link redisAvailability} says why and how to install it, and
 *   throws under `CI=true` (`.ci/run` installs Debian's `redis-server`).
 *
 * @example
 * ```ts
 * const REDIS = redisAvailability("queue executor");
 * describe.skipIf(skipBecause(!REDIS.found, "queue executor", REDIS.reason))("on Redis", () => {
 *   let redis: RedisServer;
 *   beforeAll(async () => { redis = await startRedis(); });
 *   afterAll(() => redis.stop());
 *   it("works", async () => { const url = redis.url; ... });
 * });
 * ```
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isCi } from "../skip.js";

const INSTALL = "apt-get install -y redis-server";

/** A service CI expects (`.ci/run` installs it) is missing. */
export class MissingRedisError extends Error {
  override name = "MissingRedisError";
}

/** The `redis-server` binary (`AMLTK_REDIS_SERVER` or the one on PATH), or undefined. */
export function redisServerPath(): string | undefined {
  const given = process.env.AMLTK_REDIS_SERVER;
  const bin = given ?? "redis-server";
  const probe = spawnSync(bin, ["--version"], { encoding: "utf8" });
  return probe.status === 0 ? bin : undefined;
}

/**
 * Whether `redis-server` can be started here; `reason` says why not and how to install it.
 * Under `CI=true` a missing server throws {@link MissingRedisError}, which fails the file.
 */
export function redisAvailability(
  suite: string,
  env: NodeJS.ProcessEnv = process.env,
): { found: boolean; reason: string } {
  if (redisServerPath()) return { found: true, reason: "" };
  const reason = `no redis-server on PATH; install with \`${INSTALL}\` (or set AMLTK_REDIS_SERVER)`;
  if (isCi(env)) {
    throw new MissingRedisError(
      `${suite}: ${reason}, and CI=${env.CI} expects the Redis suites to run`,
    );
  }
  return { found: false, reason: `${reason}; under CI=true this fails` };
}

/** A free TCP port on 127.0.0.1 (the OS picks it; a tiny race with other binders remains). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Options of {@link startRedis}. */
export interface RedisServerOptions {
  /** AOF with `appendfsync always`: every acknowledged write survives a SIGKILL. */
  aof?: boolean;
  /** Seconds to wait for the server to accept connections. @defaultValue 10 */
  startSeconds?: number;
}

/** A running private server; see the module comment. */
export interface RedisServer {
  readonly dir: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The server's pid (changes on restart). */
  pid(): number;
  /** Stops the server (SIGKILL unless `graceful`) and starts it again on the same folder and port. */
  restart(opts?: { graceful?: boolean }): Promise<void>;
  /** Stops the server for good and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

function args(port: number, dir: string, aof: boolean): string[] {
  return [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--pidfile",
    join(dir, "redis.pid"),
    "--save",
    "",
    "--daemonize",
    "no",
    "--protected-mode",
    "no",
    ...(aof ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
  ];
}

/** Resolves once the server logs that it accepts connections; rejects if it exits first. */
function ready(child: ChildProcess, seconds: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => {
      reject(new Error(`redis-server did not start within ${seconds}s:\n${log}`));
    }, seconds * 1000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (/Ready to accept connections/.test(log)) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `redis-server exited (code ${code}, signal ${signal}) before it was ready:\n${log}`,
        ),
      );
    });
  });
}

/** Kills the server and removes `dir` if the process that started it dies without doing so. */
function startWatchdog(dir: string): ChildProcess {
  const pidfile = join(dir, "redis.pid");
  const script = [
    `tail --pid=${process.pid} -f /dev/null`,
    `kill -9 "$(cat '${pidfile}' 2>/dev/null)" 2>/dev/null`,
    `rm -rf '${dir}'`,
  ].join("; ");
  const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
  child.unref();
  return child;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Starts a private server (well under a second). Check {@link redisAvailability} first. */
export async function startRedis(opts: RedisServerOptions = {}): Promise<RedisServer> {
  const bin = redisServerPath();
  if (!bin) throw new MissingRedisError(`redis-server is not installed (${INSTALL})`);
  const dir = mkdtempSync(join(tmpdir(), "amltk-redis-"));
  const port = await freePort();
  const aof = opts.aof ?? false;
  const seconds = opts.startSeconds ?? 10;
  const watchdog = startWatchdog(dir);
  let child: ChildProcess;

  const launch = async () => {
    child = spawn(bin, args(port, dir, aof), { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    child.stderr?.resume();
    await ready(child, seconds);
  };
  const halt = async (signal: NodeJS.Signals) => {
    const c = child;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once("exit", () => r()));
    killGroup(c.pid, signal);
    await exited;
  };

  let stopped = false;
  const cleanupSync = () => {
    if (stopped) return;
    stopped = true;
    killGroup(child?.pid, "SIGKILL");
    killGroup(watchdog.pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", cleanupSync);
  try {
    await launch();
  } catch (e) {
    cleanupSync();
    throw e;
  }

  return {
    dir,
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: () => Number(readFileSync(join(dir, "redis.pid"), "utf8").trim()) || (child.pid as number),
    restart: async ({ graceful = false } = {}) => {
      await halt(graceful ? "SIGTERM" : "SIGKILL");
      await launch();
    },
    stop: async () => {
      if (stopped) return;
      await halt("SIGKILL").catch(() => {});
      process.removeListener("exit", cleanupSync);
      cleanupSync();
    },
  };
}
