/**
 * Dashboard benchmark. Run: `npx tsx bench/ui.ts`. Prints one JSON object.
 *
 * Builds a store of RUNS runs x 5 metrics x STEPS steps (default 1,000 x 5 x 10,000 = 50M
 * points; env AMLTK_BENCH_RUNS / AMLTK_BENCH_STEPS scale it), serves it with `createServer` in a
 * child process (as `amltk ui` would), and measures in Debian's Chromium, from navigation start, the performance marks the app sets:
 * `amltk:runs-table` (the runs table painted: its first page of 100 runs, which fills the
 * view), `amltk:runs-table-complete` (all runs loaded and the table redrawn) and `amltk:chart`
 * (one metric of 100 runs charted). Also query latency over HTTP (p50/p95/p99): the raw history
 * of one key of one run (10,000 points), the chart query for one run and one key (400 buckets)
 * and for 100 runs and one key (200 buckets: what the dashboard asks for). Goals: table <= 500
 * ms, chart <= 500 ms, history query p99 <= 50 ms.
 *
 * `--store postgres` puts the runs in PostgreSQL instead (a private cluster in a temp folder,
 * started and removed by the bench; see `bench/ui-store.ts`). `--reuse <dir>` (or
 * AMLTK_BENCH_UI_DIR=<dir>) keeps a generated SQLite store there and reuses it on the next run.
 * The server caches computed series until the database changes, so the query
 * timings below ask for runs not asked for before (cold), and `seriesQuery100RunsCached` shows
 * a repeat; the page loads after the first chart the same 100 runs (as a reload does).
 * `chart100RunsBreakdown` and `runsTableBreakdown`: where a page load's time went (Resource
 * Timing per request, the server's `Server-Timing`, the app's marks; medians; see
 * `loadBreakdown`).
 */
import { rmSync } from "node:fs";
import { buildDashboard, CHROMIUM, hasChromium, launchChromium } from "../test/browser/browser.js";
import { loadBreakdown, medians } from "./ui-breakdown.js";
import { openBenchStore, serveInChild } from "./ui-store.js";
import { addLongRun, groupAndZoomGoals, measureGroupsAndZoom, touchStore } from "./ui-views.js";

const RUNS = Number(process.env.AMLTK_BENCH_RUNS ?? 1000);
const STEPS = Number(process.env.AMLTK_BENCH_STEPS ?? 10_000);
const METRICS = 5;
const CHART_RUNS = Math.min(100, RUNS);
const REPEAT = 7;
const PROJECT = "bench";

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(2);
}

async function post(url: string, body: unknown): Promise<number> {
  const t = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return performance.now() - t;
}

async function main(): Promise<void> {
  const flag = process.argv.indexOf("--reuse");
  const keep = flag >= 0 ? process.argv[flag + 1] : process.env.AMLTK_BENCH_UI_DIR;
  if (flag >= 0 && !keep) throw new Error("--reuse needs a directory");
  const storeFlag = process.argv.indexOf("--store");
  const kind = storeFlag >= 0 ? process.argv[storeFlag + 1] : "sqlite";
  if (kind !== "sqlite" && kind !== "postgres") throw new Error("--store is sqlite or postgres");
  if (kind === "postgres" && keep) throw new Error("--reuse is for the SQLite store only");
  const shape = { runs: RUNS, metrics: METRICS, steps: STEPS, project: PROJECT };
  const bench = await openBenchStore(kind, shape, keep);
  const { store } = bench;
  await addLongRun(store);
  const out: Record<string, unknown> = {
    bench: "ui",
    store: kind,
    runs: RUNS,
    metrics: METRICS,
    steps: STEPS,
    points: RUNS * METRICS * STEPS,
    generateMs: bench.generateMs,
  };
  try {
    const webDir = hasChromium ? await buildDashboard() : undefined;
    // The server runs in a process of its own, as `amltk ui` does: in this one, the bench's
    // loops and playwright's client would share its event loop and delay its answers.
    const server = await serveInChild(bench.target, webDir);
    try {
      const api = `${server.url}/api/series`;
      const runId = (i: number) => `run${String(i).padStart(5, "0")}`;
      // Runs in a random order, each asked for once per metric (no cached answers).
      const order = Array.from({ length: RUNS }, (_, i) => i).sort(() => Math.random() - 0.5);
      const one: number[] = [];
      for (let i = 0; i < 200; i++) {
        const id = runId(order[i % RUNS]!);
        const key = `m${1 + (Math.floor(i / RUNS) % (METRICS - 1))}`;
        one.push(await post(api, { runs: [id], keys: [key], x: "step", buckets: 400 }));
      }
      // The raw history read: all 10,000 points of one key of one run.
      const raw: number[] = [];
      for (let i = 0; i < 200; i++) {
        const id = `run${String(Math.floor(Math.random() * RUNS)).padStart(5, "0")}`;
        const t = performance.now();
        const res = await fetch(`${server.url}/api/runs/${id}/history?key=m0&limit=${STEPS}`);
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`history ${id}: ${res.status}`);
        raw.push(performance.now() - t);
      }
      // 100 runs x 1 key, what the chart asks for ("last" only for many runs), each time other
      // runs or another key (cold), then the same request again (cached).
      const hundred: number[] = [];
      const hundredStore: number[] = [];
      const hundredCpu: number[] = [];
      const windows = Math.max(1, Math.floor(RUNS / CHART_RUNS));
      for (let i = 0; i < 20; i++) {
        const w = i % windows;
        const ids = order.slice(w * CHART_RUNS, (w + 1) * CHART_RUNS).map(runId);
        const keyOf = (k: number) => `m${1 + ((Math.floor(i / windows) * 2 + k) % (METRICS - 1))}`;
        const body = { runs: ids, keys: [keyOf(0)], x: "step", buckets: 200, fields: ["last"] };
        hundred.push(await post(api, body));
        // The store alone (no HTTP, no JSON): the CPU-side cost of the downsampling.
        const t = performance.now();
        const c = process.cpuUsage();
        await store.readSeries({ runIds: ids, keys: [keyOf(1)], x: "step", buckets: 200 });
        const u = process.cpuUsage(c);
        hundredStore.push(performance.now() - t);
        hundredCpu.push((u.user + u.system) / 1000);
      }
      const lastIds = order.slice(0, CHART_RUNS).map(runId);
      const cached: number[] = [];
      for (let i = 0; i < 20; i++)
        cached.push(
          await post(api, {
            runs: lastIds,
            keys: ["m1"],
            x: "step",
            buckets: 200,
            fields: ["last"],
          }),
        );
      const stats = (xs: number[]) => ({
        p50: quantile(xs, 0.5),
        p95: quantile(xs, 0.95),
        p99: quantile(xs, 0.99),
        n: xs.length,
      });
      out.seriesQuery1Run = stats(one);
      out.historyRaw1Run = stats(raw);
      out.seriesQuery100Runs = stats(hundred);
      out.seriesQuery100RunsCached = stats(cached);
      out.seriesStore100RunsMs = { wall: stats(hundredStore), cpu: stats(hundredCpu) };

      if (!hasChromium) {
        out.browser = `skipped: no Chromium at ${CHROMIUM}`;
        Object.assign(
          out,
          await measureGroupsAndZoom(server.url, PROJECT, RUNS, REPEAT, undefined, () =>
            touchStore(store),
          ),
        );
      } else {
        const browser = await launchChromium();
        try {
          /** Loads `hash` REPEAT times in fresh pages; returns each mark's startTime stats. */
          const measure = async (
            hash: string,
            marks: string[],
            check: string,
            breakdowns?: Record<string, number>[],
          ) => {
            const times = new Map<string, number[]>(marks.map((m) => [m, []]));
            for (let i = 0; i < REPEAT; i++) {
              const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
              await page.goto(`${server.url}/#${hash}`);
              await page.waitForFunction(
                (ms) => ms.every((m) => performance.getEntriesByName(m).length > 0),
                marks,
                { timeout: 60_000 },
              );
              await page.waitForSelector(check);
              for (const m of marks)
                times
                  .get(m)!
                  .push(
                    await page.evaluate((n) => performance.getEntriesByName(n)[0]!.startTime, m),
                  );
              // As source text: tsx's `__name(...)` wrappers of inner functions are not defined
              // in the page.
              if (breakdowns)
                breakdowns.push(
                  await page.evaluate(`((__name) => (${loadBreakdown})())((f) => f)`),
                );
              await page.close();
            }
            // The first load pays for cold caches (SQLite pages, Chromium's code cache).
            const stats = (t: number[]) => ({
              first: Math.round(t[0]!),
              median: Math.round(quantile(t, 0.5)),
              max: Math.round(Math.max(...t)),
            });
            return marks.map((m) => stats(times.get(m)!));
          };
          // The table paints its first page (the rows in view), then the rest of the runs.
          const tableBreakdowns: Record<string, number>[] = [];
          const [table, complete] = await measure(
            `/p/${PROJECT}`,
            ["amltk:runs-table", "amltk:runs-table-complete"],
            `table.runs[data-rows="${RUNS}"] tr[data-run-id]`,
            tableBreakdowns,
          );
          out.runsTableBreakdown = medians(tableBreakdowns);
          out.runsTablePaintedMs = table;
          out.runsTableAllRunsLoadedMs = complete;
          // `amltk:chart-data`: the series response arrived (the rest is drawing).
          const breakdowns: Record<string, number>[] = [];
          [out.chart100RunsMs, out.chart100RunsDataArrivedMs] = await measure(
            `/p/${PROJECT}?keys=m0&top=${CHART_RUNS}`,
            ["amltk:chart", "amltk:chart-data"],
            `.panel[data-key="m0"][data-series-count="${CHART_RUNS}"]`,
            breakdowns,
          );
          out.chart100RunsBreakdown = medians(breakdowns);
          Object.assign(
            out,
            await measureGroupsAndZoom(server.url, PROJECT, RUNS, REPEAT, browser, () =>
              touchStore(store),
            ),
          );
        } finally {
          await browser.close();
        }
      }
    } finally {
      out.serverPeakRssMiB = (await server.close()).peakRssMiB;
      if (webDir) rmSync(webDir, { recursive: true, force: true });
    }
  } finally {
    await bench.close();
  }
  const goal = (v: unknown, max: number, pick: (o: never) => number) =>
    typeof v === "object" && v !== null ? pick(v as never) <= max : null;
  out.goals = {
    runsTableLe500ms: goal(out.runsTablePaintedMs, 500, (o: { median: number }) => o.median),
    chart100RunsLe500ms: goal(out.chart100RunsMs, 500, (o: { median: number }) => o.median),
    historyQueryP99Le50ms: goal(out.seriesQuery1Run, 50, (o: { p99: number }) => o.p99),
    rawHistoryQueryP99Le50ms: goal(out.historyRaw1Run, 50, (o: { p99: number }) => o.p99),
    ...groupAndZoomGoals(out),
  };
  const os = await import("node:os");
  out.machine = {
    cores: os.cpus().length,
    // Other work on the machine inflates every number above; this says how much there was.
    loadAverage1m: +os.loadavg()[0]!.toFixed(2),
  };
  console.log(JSON.stringify(out, null, 2));
}

await main();
