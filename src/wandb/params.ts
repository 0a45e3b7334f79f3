/**
 * `WandbParams`: what a run is created with (W&B `init` arguments), as an immutable value
 * so a per-trial `modify` can only return a changed copy, never alter the plugin's defaults.
 *
 * @module
 */

import { checkOptionKeys, optionKeys } from "../shared/options.js";
import type { Mode } from "../track/index.js";
import type { OnlineProtocol } from "../track/init-options.js";

/**
 * Plain-data fields of {@link WandbParams} (all optional; `init`'s defaults apply).
 *
 * @example
 * ```ts
 * import { type WandbParamsInit, WandbPlugin } from "amltk/wandb";
 *
 * const init: WandbParamsInit = { project: "my-project", mode: "offline", tags: ["sweep-1"] };
 * const plugin = new WandbPlugin(init);
 * ```
 */
export interface WandbParamsInit {
  project?: string;
  group?: string;
  entity?: string;
  /**
   * "offline" (default: the local store), "online" (through an amltk server, see `baseUrl`),
   * or "disabled" (the same code path, writes nothing).
   */
  mode?: Mode;
  /** Online mode: the server's URL (default env AMLTK_BASE_URL). */
  baseUrl?: string;
  /**
   * Online mode: an API key (default env AMLTK_API_KEY; with `protocol: "wandb"`,
   * WANDB_API_KEY).
   */
  apiKey?: string;
  /**
   * Online mode: the protocol the server speaks, so that no environment variable is needed to
   * send trials to W&B (or any W&B-protocol server): `"amltk"` (our server's batch API) or
   * `"wandb"` (W&B's; `baseUrl` defaults to env WANDB_BASE_URL, else https://api.wandb.ai).
   * Default: env AMLTK_PROTOCOL, else as `init` decides (see `InitOptions.protocol`).
   *
   * @example
   * ```ts
   * const plugin = new WandbPlugin({
   *   project: "my-sweep",
   *   mode: "online",
   *   protocol: "wandb",
   *   baseUrl: "https://api.wandb.ai",
   *   apiKey: process.env.MY_WANDB_KEY,
   * });
   * ```
   */
  protocol?: OnlineProtocol;
  /** Store folder (default `$AMLTK_DIR`, then `./amltk-runs`). */
  dir?: string;
  jobType?: string;
  tags?: string[];
  notes?: string;
  /** Run name (default: the trial's name). */
  name?: string;
  /** Only these config keys are recorded (default: all). */
  configInclude?: string[];
  /** These config keys are not recorded. */
  configExclude?: string[];
  resume?: "allow" | "must" | "never" | boolean;
}

const MODES: readonly Mode[] = ["offline", "online", "disabled"];
const PROTOCOLS: readonly OnlineProtocol[] = ["amltk", "wandb"];

const FIELDS = optionKeys<WandbParamsInit>({
  project: true,
  group: true,
  entity: true,
  mode: true,
  baseUrl: true,
  apiKey: true,
  protocol: true,
  dir: true,
  jobType: true,
  tags: true,
  notes: true,
  name: true,
  configInclude: true,
  configExclude: true,
  resume: true,
});

/**
 * The parameters a run is created with; {@link WandbParams.modify} returns a changed copy.
 *
 * @example
 * ```ts
 * import { WandbParams } from "amltk/wandb";
 *
 * const base = new WandbParams({ project: "p", tags: ["a"] });
 * const tagged = base.modify({ tags: ["positive"], notes: "x > 0" });
 * base.tags; // ["a"]: unchanged
 * tagged.config({ x: 1, secret: 2 }); // { x: 1, secret: 2 }
 * tagged.modify({ configExclude: ["secret"] }).config({ x: 1, secret: 2 }); // { x: 1 }
 * ```
 */
export class WandbParams implements WandbParamsInit {
  readonly project?: string;
  readonly group?: string;
  readonly entity?: string;
  readonly mode?: Mode;
  readonly baseUrl?: string;
  readonly apiKey?: string;
  readonly protocol?: OnlineProtocol;
  readonly dir?: string;
  readonly jobType?: string;
  readonly tags?: string[];
  readonly notes?: string;
  readonly name?: string;
  readonly configInclude?: string[];
  readonly configExclude?: string[];
  readonly resume?: "allow" | "must" | "never" | boolean;

  constructor(init: WandbParamsInit = {}) {
    checkOptionKeys(init, FIELDS, "WandbParams");
    if (init.mode !== undefined && !MODES.includes(init.mode)) {
      throw new TypeError(
        `WandbParams: mode must be one of ${MODES.join(", ")}, got ${show(init.mode)}`,
      );
    }
    if (init.protocol !== undefined && !PROTOCOLS.includes(init.protocol)) {
      throw new TypeError(
        `WandbParams: protocol must be one of ${PROTOCOLS.join(", ")}, got ${show(init.protocol)}`,
      );
    }
    if (init.tags !== undefined && !isStringArray(init.tags)) {
      throw new TypeError(`WandbParams: tags must be an array of strings, got ${show(init.tags)}`);
    }
    // The defined fields (every key is a known one, checked above). A worker builds params for
    // every trial, so this is a plain loop rather than entries, a filter and fromEntries.
    const fields = init as Record<string, unknown>;
    const keys = Object.keys(fields);
    for (let i = 0; i < keys.length; i++) {
      const v = fields[keys[i]];
      if (v !== undefined) (this as Record<string, unknown>)[keys[i]] = v;
    }
    // Own frozen copies of the lists: a `modify` that pushes onto `params.tags` must not change
    // the plugin's defaults, which every later trial in this worker starts from.
    if (init.tags !== undefined) this.tags = Object.freeze([...init.tags]) as string[];
    if (init.configInclude !== undefined) {
      this.configInclude = Object.freeze([...init.configInclude]) as string[];
    }
    if (init.configExclude !== undefined) {
      this.configExclude = Object.freeze([...init.configExclude]) as string[];
    }
    Object.freeze(this);
  }

  /** A copy with `changes` applied (fields set to `undefined` are left as they were). */
  modify(changes: WandbParamsInit): WandbParams {
    return new WandbParams({ ...this.toJSON(), ...stripUndefined(changes) });
  }

  /** The fields as plain data (what travels to the worker). */
  toJSON(): WandbParamsInit {
    return stripUndefined({ ...this });
  }

  /** The trial's config filtered by `configInclude` / `configExclude`. */
  config(config: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const keys = Object.keys(config);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (this.configInclude && !this.configInclude.includes(k)) continue;
      if (this.configExclude?.includes(k)) continue;
      out[k] = config[k];
    }
    return out;
  }
}

function isStringArray(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((t) => typeof t === "string");
}

function show(x: unknown): string {
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
