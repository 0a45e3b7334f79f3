/**
 * Profiling of wall time, CPU time and memory (RSS) for a block of code.
 *
 * @module
 */

/**
 * Wall-clock interval, times in seconds since the epoch.
 *
 * @example
 * ```ts
 * await trial.profile("fit", () => model.fit(x, y));
 * const time: TimeInterval = trial.profiles.fit.time;
 * time.duration; // seconds, e.g. 1.42
 * ```
 */
export interface TimeInterval {
  start: number;
  end: number;
  duration: number;
  kind: "wall";
  unit: "seconds";
}

/**
 * CPU time used by the process during the block (user + system), in seconds.
 *
 * @example
 * ```ts
 * await trial.profile("fit", () => model.fit(x, y));
 * const cpu: CpuInterval = trial.profiles.fit.cpu;
 * cpu.user + cpu.system === cpu.duration; // true
 * ```
 */
export interface CpuInterval {
  user: number;
  system: number;
  duration: number;
  unit: "seconds";
}

/**
 * Resident set size at the start and end of the block, in bytes.
 *
 * @example
 * ```ts
 * await trial.profile("load", () => loadDataset());
 * const memory: MemoryInterval = trial.profiles.load.memory;
 * memory.diff / 2 ** 20; // MiB the block added to the RSS
 * ```
 */
export interface MemoryInterval {
  start: number;
  end: number;
  diff: number;
  unit: "bytes";
}

/**
 * One profiled block. Plain data: it survives JSON and structured clone.
 *
 * @example
 * ```ts
 * await trial.begin(() => train(trial.config)); // profiled as "trial"
 * const p: Profile = trial.profiles.trial;
 * console.log(p.time.duration, p.cpu.duration, p.memory.diff);
 * ```
 */
export interface Profile {
  time: TimeInterval;
  cpu: CpuInterval;
  memory: MemoryInterval;
}

/**
 * Runs `fn` and measures it. Whether it returns or throws, the profile is handed to
 * `record` before the result (or error) is passed on.
 *
 * @example
 * ```ts
 * const profiles: Record<string, Profile> = {};
 * await profile(async () => work(), (p) => { profiles.work = p; });
 * profiles.work.time.duration; // seconds
 * ```
 */
export async function profile<T>(
  fn: () => T | Promise<T>,
  record: (p: Profile) => void,
): Promise<T> {
  const wallStart = Date.now() / 1000;
  const hrStart = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const memStart = process.memoryUsage.rss();
  try {
    return await fn();
  } finally {
    const cpu = process.cpuUsage(cpuStart);
    const duration = Number(process.hrtime.bigint() - hrStart) / 1e9;
    const memEnd = process.memoryUsage.rss();
    record({
      time: {
        start: wallStart,
        end: wallStart + duration,
        duration,
        kind: "wall",
        unit: "seconds",
      },
      cpu: {
        user: cpu.user / 1e6,
        system: cpu.system / 1e6,
        duration: (cpu.user + cpu.system) / 1e6,
        unit: "seconds",
      },
      memory: { start: memStart, end: memEnd, diff: memEnd - memStart, unit: "bytes" },
    });
  }
}

/** Flattens profiles into `profile:<name>:<time|cpu|memory>:<field>` columns. */
export function profileColumns(profiles: Record<string, Profile>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [name, p] of Object.entries(profiles)) {
    for (const group of ["time", "cpu", "memory"] as const) {
      for (const [k, v] of Object.entries(p[group])) out[`profile:${name}:${group}:${k}`] = v;
    }
  }
  return out;
}

/** Inverse of {@link profileColumns}: rebuilds profiles from flat columns. */
export function profilesFromColumns(row: Record<string, unknown>): Record<string, Profile> {
  const acc: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const [key, value] of Object.entries(row)) {
    const m = /^profile:(.+):(time|cpu|memory):([^:]+)$/.exec(key);
    if (!m || value === null || value === undefined || value === "") continue;
    const [, name, group, field] = m;
    acc[name] ??= {};
    acc[name][group] ??= {};
    acc[name][group][field] = value;
  }
  const out: Record<string, Profile> = {};
  for (const [name, g] of Object.entries(acc)) {
    const num = (x: unknown) => (typeof x === "number" ? x : Number(x));
    const t = g.time ?? {};
    const c = g.cpu ?? {};
    const m = g.memory ?? {};
    out[name] = {
      time: {
        start: num(t.start),
        end: num(t.end),
        duration: num(t.duration),
        kind: "wall",
        unit: "seconds",
      },
      cpu: { user: num(c.user), system: num(c.system), duration: num(c.duration), unit: "seconds" },
      memory: { start: num(m.start), end: num(m.end), diff: num(m.diff), unit: "bytes" },
    };
  }
  return out;
}
