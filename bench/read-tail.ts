/**
 * What the slowest reads of `bench/reads-under-load.ts --why-slow` waited for (issue 13's tail):
 * the server logs its GC pauses (perf_hooks `gc` entries) and the stretches its event loop was
 * blocked (a 5 ms timer that fired late), in epoch milliseconds; the reader logs each read's
 * start, end and `Server-Timing`. Both run on one machine, so the clocks agree, and each slow
 * read is split into the handler's phases, GC pauses and other blocked time that overlap it.
 */
import { PerformanceObserver, performance } from "node:perf_hooks";

/** [start (epoch ms), duration ms, kind] of a GC pause; [start, duration] of a blocked loop. */
export interface PauseLog {
  gc: [number, number, string][];
  blocked: [number, number][];
}

const GC_KINDS: Record<number, string> = { 1: "minor", 4: "major", 8: "incremental", 16: "weakcb" };

/** Starts logging the server's pauses; `stop()` answers them. Costs a 5 ms timer and GC entries. */
export function logPauses(): { stop(): PauseLog } {
  const log: PauseLog = { gc: [], blocked: [] };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
      log.gc.push([
        performance.timeOrigin + e.startTime,
        +e.duration.toFixed(2),
        GC_KINDS[kind] ?? String(kind),
      ]);
    }
  });
  obs.observe({ entryTypes: ["gc"] });
  const tick = 5;
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    if (now - last > 2 * tick) log.blocked.push([last + tick, now - last - tick]);
    last = now;
  }, tick);
  return {
    stop() {
      obs.disconnect();
      clearInterval(timer);
      return log;
    },
  };
}

/** One read as the reader saw it, with the server's `Server-Timing` durations. */
export interface ReadLog {
  start: number;
  end: number;
  timing: Record<string, number>;
}

/** Milliseconds of [a, b] covered by the intervals (starts, durations). */
function overlap(
  a: number,
  b: number,
  spans: readonly (readonly [number, number, ...unknown[]])[],
) {
  let ms = 0;
  for (const [s, d] of spans) ms += Math.max(0, Math.min(b, s + d) - Math.max(a, s));
  return ms;
}

const mean = (xs: number[]) => +(xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length)).toFixed(1);

/**
 * The slowest `share` of `reads`, their mean time split: the handler (`app`) and its phases,
 * GC pauses and blocked-loop time overlapping each read, and the same means over all reads.
 */
export function tailReport(reads: ReadLog[], pauses: PauseLog, share = 0.02) {
  const describe = (rs: ReadLog[]) => {
    const phases = new Set(rs.flatMap((r) => Object.keys(r.timing)));
    return {
      n: rs.length,
      totalMs: mean(rs.map((r) => r.end - r.start)),
      ...Object.fromEntries(
        [...phases].map((p) => [`${p}Ms`, mean(rs.map((r) => r.timing[p] ?? 0))]),
      ),
      gcMs: mean(rs.map((r) => overlap(r.start, r.end, pauses.gc))),
      majorGcMs: mean(
        rs.map((r) =>
          overlap(
            r.start,
            r.end,
            pauses.gc.filter((g) => g[2] !== "minor"),
          ),
        ),
      ),
      blockedMs: mean(rs.map((r) => overlap(r.start, r.end, pauses.blocked))),
    };
  };
  const slow = [...reads]
    .sort((a, b) => b.end - b.start - (a.end - a.start))
    .slice(0, Math.max(1, Math.ceil(reads.length * share)));
  // The five slowest one by one: [total, handler, GC, major GC, blocked] ms.
  const top = slow.slice(0, 5).map((r) => [
    +(r.end - r.start).toFixed(1),
    r.timing.app ?? 0,
    +overlap(r.start, r.end, pauses.gc).toFixed(1),
    +overlap(
      r.start,
      r.end,
      pauses.gc.filter((g) => g[2] !== "minor"),
    ).toFixed(1),
    +overlap(r.start, r.end, pauses.blocked).toFixed(1),
  ]);
  return { slowest: describe(slow), all: describe(reads), top };
}

/** A summary of the server's GC pauses by kind: count, total and max ms. */
export function gcSummary(pauses: PauseLog, seconds: number) {
  const out: Record<string, { n: number; totalMs: number; maxMs: number }> = {};
  for (const [, d, kind] of pauses.gc) {
    out[kind] ??= { n: 0, totalMs: 0, maxMs: 0 };
    const k = out[kind];
    k.n++;
    k.totalMs = +(k.totalMs + d).toFixed(1);
    k.maxMs = Math.max(k.maxMs, d);
  }
  const blocked = pauses.blocked.map((b) => b[1]);
  return {
    gcByKind: out,
    gcMsPerSecond: +(pauses.gc.reduce((s, g) => s + g[1], 0) / seconds).toFixed(1),
    blockedOver10ms: blocked.filter((b) => b > 10).length,
    blockedMaxMs: Math.max(0, ...blocked),
  };
}

/**
 * `AMLTK_BENCH_HEAP_PROF=<file>`: a sampling heap profile of what the server allocates while the
 * reader reads, collected objects included (what the young generation churns through), written
 * to `<file>` (`.heapprofile`, Chrome DevTools' format) by `stop()`.
 */
export async function sampleAllocations(file: string): Promise<{ stop(): Promise<void> }> {
  const { Session } = await import("node:inspector/promises");
  const { writeFileSync } = await import("node:fs");
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 32_768,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return {
    async stop() {
      const { profile } = await session.post("HeapProfiler.stopSampling");
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
