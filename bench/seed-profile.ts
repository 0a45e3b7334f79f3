/**
 * `bench/seed.ts --profile DIR`: where the seed's tracking time goes. One plain and one tracked
 * sweep on processes x2, each with V8 CPU profiles of the host (through `node:inspector`) and of
 * both workers (`seed-profile-hook.mjs` imported through NODE_OPTIONS, which refuses `--cpu-prof`
 * on Node 20: a worker writes its profile when it exits, which it does normally at the
 * scheduler's graceful stop). Prints, as one JSON object, the
 * self time per function summed over host and workers, per sweep, and the functions whose time
 * grew most with tracking. The `.cpuprofile` files stay in DIR for Chrome DevTools.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Self time in ms per "function file:line", summed over the profiles. */
export type SelfTimes = Map<string, number>;

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*\/(node_modules|src|bench)\//, "$1/").replace(/^file:\/\//, "");
  return `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
}

/** Adds one profile's self times (sample deltas attributed to the sampled node) to `into`. */
export function addSelfTimes(profile: CpuProfile, into: SelfTimes): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    const name = frameName(node);
    into.set(name, (into.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
}

/** The host's CPU profile around `work`, written to `file`, its self times added to `into`. */
export async function profileHost<T>(file: string, into: SelfTimes, work: () => Promise<T>) {
  const session = new Session();
  session.connect();
  const post = <R>(method: string, params?: object) =>
    new Promise<R>((resolve, reject) =>
      session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as R))),
    );
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 100 });
  await post("Profiler.start");
  try {
    return await work();
  } finally {
    const { profile } = await post<{ profile: CpuProfile }>("Profiler.stop");
    session.disconnect();
    writeFileSync(file, JSON.stringify(profile));
    addSelfTimes(profile, into);
  }
}

/**
 * Runs `work` with every process it forks writing a CPU profile into `dir` on exit, then adds
 * those profiles' self times to `into`.
 */
export async function profileWorkers<T>(dir: string, into: SelfTimes, work: () => Promise<T>) {
  mkdirSync(dir, { recursive: true });
  const before = process.env.NODE_OPTIONS;
  const hook = new URL("./seed-profile-hook.mjs", import.meta.url).href;
  process.env.NODE_OPTIONS = `${before ?? ""} --import ${hook}`.trim();
  process.env.AMLTK_CPU_PROF_DIR = dir;
  try {
    return await work();
  } finally {
    if (before === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = before;
    delete process.env.AMLTK_CPU_PROF_DIR;
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
      addSelfTimes(JSON.parse(readFileSync(join(dir, f), "utf8")) as CpuProfile, into);
    }
  }
}

const round = (x: number) => Math.round(x * 10) / 10;

/** The `top` largest entries of `times`, as `[name, ms]`. */
function top(times: SelfTimes, count: number): [string, number][] {
  return [...times]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([k, v]) => [k, round(v)]);
}

/**
 * Side by side: each sweep's largest self times (host and workers apart) and the functions
 * whose summed self time grew most from the plain sweep to the tracked one, in ms per trial.
 */
export function profileReport(
  trials: number,
  sweeps: Record<"plain" | "tracked", { host: SelfTimes; workers: SelfTimes }>,
) {
  const grown = (side: "host" | "workers") => {
    const diff: SelfTimes = new Map();
    for (const [k, v] of sweeps.tracked[side]) diff.set(k, v - (sweeps.plain[side].get(k) ?? 0));
    return top(diff, 25).map(([k, v]) => [k, Math.round((v / trials) * 1e4) / 1e4] as const);
  };
  const total = (t: SelfTimes) => round([...t.values()].reduce((a, b) => a + b, 0));
  return {
    trials,
    totalMs: {
      plain: { host: total(sweeps.plain.host), workers: total(sweeps.plain.workers) },
      tracked: { host: total(sweeps.tracked.host), workers: total(sweeps.tracked.workers) },
    },
    grownMsPerTrial: { host: grown("host"), workers: grown("workers") },
    topMs: {
      plainWorkers: top(sweeps.plain.workers, 15),
      trackedWorkers: top(sweeps.tracked.workers, 25),
      trackedHost: top(sweeps.tracked.host, 15),
    },
  };
}
