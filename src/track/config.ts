import { TrackError } from "./errors.js";

/** `run.config`: key/value settings of a run; `update` refuses silent changes. */
export interface RunConfig {
  readonly [key: string]: unknown;
  update(d: Record<string, unknown>, opts?: { allowValChange?: boolean }): void;
}

function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}

export function makeConfig(
  initial: Record<string, unknown>,
  onChange: (all: Record<string, unknown>) => void,
): { config: RunConfig; data: Record<string, unknown> } {
  // No prototype, so `Object.assign` below stores a "__proto__" key as data; fast properties,
  // not `Object.create(null)`'s dictionary (see summary.ts).
  const data: Record<string, unknown> = Object.assign(Object.setPrototypeOf({}, null), initial);
  const config = new Proxy(data, new ConfigTraps(data, onChange)) as unknown as RunConfig;
  return { config, data };
}

/**
 * The config proxy's traps and its `update`. A class, so a run (one per trial) makes one small
 * object and one bound function, not a closure per trap.
 */
class ConfigTraps implements ProxyHandler<Record<string, unknown>> {
  /** `run.config.update`, the same function on every read. */
  private readonly update: RunConfig["update"];

  constructor(
    private readonly data: Record<string, unknown>,
    private readonly onChange: (all: Record<string, unknown>) => void,
  ) {
    this.update = this.write.bind(this);
  }

  get(t: Record<string, unknown>, p: string | symbol): unknown {
    return p === "update" ? this.update : t[p as string];
  }

  set(_t: Record<string, unknown>, p: string | symbol, v: unknown): boolean {
    if (typeof p !== "string") return false;
    this.write({ [p]: v });
    return true;
  }

  private write(d: Record<string, unknown>, opts: { allowValChange?: boolean } = {}): void {
    const data = this.data;
    for (const k of Object.keys(d)) {
      if (k === "update") throw new TrackError(`config key "update" is reserved`);
      if (Object.hasOwn(data, k) && !opts.allowValChange && !same(data[k], d[k])) {
        throw new TrackError(
          `config key "${k}" already set to ${JSON.stringify(data[k])}; pass { allowValChange: true } to change it`,
        );
      }
    }
    Object.assign(data, d);
    this.onChange(data);
  }
}
