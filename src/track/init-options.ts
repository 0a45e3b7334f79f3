/** The options of `init`, their defaults and their keys. */
import { optionKeys } from "../shared/options.js";
import type { Store } from "../store/types.js";
import { TrackError } from "./errors.js";

/**
 * Where a run writes: "offline" (the embedded SQLite store in `dir`; the default), "disabled"
 * (same API, writes nothing), "online" (through an amltk server, see `amltk ui`).
 *
 * @example
 * ```ts
 * const mode: Mode = process.env.CI ? "disabled" : "offline";
 * const run = await init({ project: "demo", mode });
 * ```
 */
export type Mode = "offline" | "disabled" | "online";

/**
 * What `init` does while this process has an unfinished run (W&B `reinit`): "default" /
 * "return_previous" / false return it, "finish_previous" / true finish it first, "create_new"
 * starts another alongside it.
 *
 * @example
 * ```ts
 * const a = await init({ project: "p" });
 * const b = await init({ project: "p", reinit: "create_new" }); // a keeps running
 * ```
 */
export type Reinit = "default" | "return_previous" | "finish_previous" | "create_new" | boolean;

/**
 * Options of `init` (W&B names, camelCase).
 *
 * @example
 * ```ts
 * const opts: InitOptions = {
 *   project: "mnist",
 *   group: "sweep-1",
 *   config: { lr: 0.01 },
 *   tags: ["baseline"],
 *   dir: "./amltk-runs",
 *   systemInterval: 0, // no system/ metrics
 * };
 * const run = await init(opts);
 * ```
 */
export interface InitOptions {
  /**
   * The run's project; env `AMLTK_PROJECT` when set, else the default.
   * @defaultValue "uncategorized"
   */
  project?: string;
  entity?: string;
  group?: string;
  jobType?: string;
  name?: string;
  id?: string;
  notes?: string;
  tags?: string[];
  config?: Record<string, unknown>;
  /**
   * Where the run writes (see {@link Mode}).
   * @defaultValue "offline"
   */
  mode?: Mode;
  /**
   * Online mode: the server (default env AMLTK_BASE_URL; with `protocol: "wandb"`,
   * WANDB_BASE_URL, else https://api.wandb.ai) and API key (env AMLTK_API_KEY; with
   * `protocol: "wandb"`, WANDB_API_KEY).
   */
  baseUrl?: string;
  apiKey?: string;
  /**
   * Online mode: which protocol the server speaks. `"amltk"` is our server's batch API;
   * `"wandb"` is W&B's (W&B itself, or `amltk ui`'s W&B routes), written through a spool in
   * `<dir>/wandb-spool/`. Default: env `AMLTK_PROTOCOL` when set, else `"wandb"` when
   * `WANDB_BASE_URL` is set and neither `baseUrl` nor `AMLTK_BASE_URL` is, else `"amltk"`.
   */
  protocol?: OnlineProtocol;
  /**
   * Online mode: the longest `finish()` waits for the server to acknowledge what is left, in ms
   * (default 5 000, or env `AMLTK_FINISH_TIMEOUT_MS`). Less when the server is down; the rest
   * stays in `<dir>/spool/` for the next online `init` or `amltk sync`.
   */
  finishTimeoutMs?: number;
  /**
   * Store directory; env `AMLTK_DIR` when set, else the default.
   * @defaultValue "./amltk-runs"
   */
  dir?: string;
  /** Reopen an existing run by `id`: "allow" (or true), "must", "never". */
  resume?: "allow" | "must" | "never" | boolean;
  /**
   * W&B reinit: by default `init` returns the previous unfinished run of this process.
   * @defaultValue "default"
   */
  reinit?: Reinit;
  /** Inject a store (tests, custom backends); not closed by `finish`. */
  store?: Store;
  /**
   * System metrics (`system/cpu`, `system/rss_mib`, `system/memory`, and `system/gpu.<i>.*`
   * when `nvidia-smi` is on PATH): sampling interval in ms; 0 turns them off.
   * @defaultValue 10000
   */
  systemInterval?: number;
  /**
   * "capture" records what the process writes to stdout/stderr as the run's console lines
   * (output still reaches the terminal; restored at `finish`).
   * @defaultValue "off"
   */
  console?: "capture" | "off";
  /**
   * Heartbeat interval in ms.
   * @defaultValue 5000
   */
  heartbeatInterval?: number;
  /** Rows buffered in memory before `log` applies backpressure (default: no row cap). */
  maxBufferedRows?: number;
  /**
   * Bytes of buffered history before `log` applies backpressure (1 MiB, ~29k one-key rows).
   * @defaultValue 1048576
   */
  maxBufferedBytes?: number;
}

/**
 * The defaults of {@link InitOptions}, the ones `init` and the run use (`dir` and `project`
 * apply when `AMLTK_DIR` / `AMLTK_PROJECT` are not set).
 *
 * @example
 * ```ts
 * INIT_DEFAULTS.systemInterval; // 10000 ms
 * ```
 */
export const INIT_DEFAULTS = Object.freeze({
  project: "uncategorized",
  mode: "offline",
  dir: "./amltk-runs",
  reinit: "default",
  systemInterval: 10_000,
  console: "off",
  heartbeatInterval: 5_000,
  maxBufferedBytes: 1024 * 1024,
} as const);

/**
 * The store folder used when none is given: `AMLTK_DIR` when set, else
 * {@link INIT_DEFAULTS}.dir. The one place the CLI, the W&B plugin and `init` take it from.
 *
 * @example
 * ```ts
 * const dir = opts.dir ?? defaultStoreDir(); // "./amltk-runs" unless AMLTK_DIR is set
 * ```
 */
export function defaultStoreDir(): string {
  return process.env.AMLTK_DIR ?? INIT_DEFAULTS.dir;
}

/**
 * The protocol of an online server: our batch API, or W&B's.
 *
 * @example
 * ```ts
 * const p: OnlineProtocol = "wandb"; // init({ mode: "online", protocol: p }) logs to W&B
 * ```
 */
export type OnlineProtocol = "amltk" | "wandb";

/**
 * The protocol an online run uses (see {@link InitOptions.protocol}); a bad value names it.
 *
 * @example
 * ```ts
 * onlineProtocol({ protocol: "wandb" }); // "wandb"
 * ```
 */
export function onlineProtocol(
  opts: Pick<InitOptions, "protocol" | "baseUrl">,
  env: NodeJS.ProcessEnv = process.env,
): OnlineProtocol {
  const given = opts.protocol ?? (env.AMLTK_PROTOCOL || undefined);
  if (given !== undefined) {
    if (given !== "amltk" && given !== "wandb") {
      const from = opts.protocol !== undefined ? "protocol" : "AMLTK_PROTOCOL";
      throw new TrackError(
        `init: ${from} must be "amltk" or "wandb", got ${JSON.stringify(given)}`,
      );
    }
    return given;
  }
  const wandbOnly = !!env.WANDB_BASE_URL && opts.baseUrl === undefined && !env.AMLTK_BASE_URL;
  return wandbOnly ? "wandb" : "amltk";
}

/** The keys of {@link InitOptions}, for `init`'s unknown-key check. */
export const INIT_OPTION_KEYS = optionKeys<InitOptions>({
  project: true,
  entity: true,
  group: true,
  jobType: true,
  name: true,
  id: true,
  notes: true,
  tags: true,
  config: true,
  mode: true,
  baseUrl: true,
  apiKey: true,
  protocol: true,
  finishTimeoutMs: true,
  dir: true,
  resume: true,
  reinit: true,
  store: true,
  systemInterval: true,
  console: true,
  heartbeatInterval: true,
  maxBufferedRows: true,
  maxBufferedBytes: true,
});
