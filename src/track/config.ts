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
  // No prototype, so `Object.assign` below stores a "__proto__" key as data (see summary.ts).
  const data: Record<string, unknown> = Object.assign(Object.create(null), initial);
  const update = (d: Record<string, unknown>, opts: { allowValChange?: boolean } = {}): void => {
    for (const k of Object.keys(d)) {
      if (k === "update") throw new TrackError(`config key "update" is reserved`);
      if (Object.hasOwn(data, k) && !opts.allowValChange && !same(data[k], d[k])) {
        throw new TrackError(
          `config key "${k}" already set to ${JSON.stringify(data[k])}; pass { allowValChange: true } to change it`,
        );
      }
    }
    Object.assign(data, d);
    onChange(data);
  };
  const config = new Proxy(data, {
    get: (t, p) => (p === "update" ? update : t[p as string]),
    set: (_t, p, v) => {
      if (typeof p !== "string") return false;
      update({ [p]: v });
      return true;
    },
  }) as unknown as RunConfig;
  return { config, data };
}
