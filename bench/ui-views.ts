/**
 * bench/ui.ts's measurements of the grouped chart and the zoom refetch (issue 15):
 *
 * - `groupedChart1000RunsColdMs`: a page grouping every run of the bench project (1,000 runs,
 *   in 4 groups by `group`) charting one metric: `amltk:chart` from navigation start (first,
 *   median, max of REPEAT loads), each load the first after the database changed (`touch`
 *   writes to another project), so the server computes the group aggregates afresh, as a user
 *   opening the chart after new data would wait; `groupedChart1000RunsWarmMs` the same page
 *   again with nothing written in between (the server's cached aggregate). A write to other
 *   runs leaves each charted run's grid row cached on SQLite (`src/server/group-row-cache.ts`),
 *   so the cold load recomputes the aggregate from kept rows; `groupedChart1000RunsUncachedMs`
 *   is the page for a metric this server never grouped (m1..m4, once each: nothing cached at
 *   all), `groupSeriesQuery1000RunsUncached` its request alone (without Chromium). The aggregate is
 *   one request per key (`POST /api/series/groups`), whose HTTP latency is
 *   `groupSeriesQuery1000Runs` (`cold`: after a write each time; `warm`: repeats).
 * - `zoomRefetch100kStepsMs`: one run of 100,000 steps, charted, then zoomed into 3,000 steps
 *   by a mouse drag: `amltk:zoom-refetch` (the drag to the refetched range painted), and the
 *   range's series request alone over HTTP (`zoomSeriesQuery`).
 *
 * Goals: grouped chart (cold) <= 500 ms, zoom refetch <= 150 ms.
 */
import type { Browser } from "playwright-core";
import type { Store } from "../src/store/types.js";
import { loadBreakdown, medians } from "./ui-breakdown.js";

export const LONG_PROJECT = "bench-long";
const LONG_RUN = "long100k";
const LONG_STEPS = 100_000;

/** Adds the 100,000-step run (once: a reused store has it already). */
export async function addLongRun(store: Store): Promise<void> {
  if (await store.getRun(LONG_RUN)) return;
  await store.createRun({
    id: LONG_RUN,
    project: LONG_PROJECT,
    name: LONG_RUN,
    createdAt: Date.now(),
  });
  const t0 = Date.now() / 1000;
  for (let from = 0; from < LONG_STEPS; from += 10_000) {
    const rows = Array.from({ length: 10_000 }, (_, i) => {
      const step = from + i;
      return {
        step,
        runtime: step / 100,
        timestamp: t0 + step / 100,
        values: { v: Math.sin(step / 500) + step / LONG_STEPS },
      };
    });
    await store.appendHistory(LONG_RUN, rows);
  }
  await store.updateRun(LONG_RUN, { state: "finished", finishedAt: Date.now() });
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(2);
}

const stats = (t: number[]) => ({
  first: Math.round(t[0]!),
  median: Math.round(quantile(t, 0.5)),
  max: Math.round(Math.max(...t)),
  n: t.length,
});

async function timedPost(url: string, body: unknown): Promise<number> {
  const t = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return performance.now() - t;
}

/** A write to the long run's project: the store changed, so no cached aggregate is valid. */
export async function touchStore(store: Store): Promise<void> {
  await store.updateRun(LONG_RUN, { notes: `touched ${Date.now()} ${Math.random()}` });
}

/**
 * The group and zoom measurements (HTTP always; the page ones when `browser` is given);
 * `touch` changes the database (see {@link touchStore}) before each cold measurement.
 */
export async function measureGroupsAndZoom(
  base: string,
  project: string,
  runs: number,
  repeat: number,
  browser: Browser | undefined,
  touch: () => Promise<void>,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const groupBody = {
    runsQuery: `project=${project}&sort=-createdAt&limit=${runs}`,
    by: "group",
    keys: ["m0"],
    x: "step",
    buckets: 200,
  };
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    await touch();
    cold.push(await timedPost(`${base}/api/series/groups`, groupBody));
    warm.push(await timedPost(`${base}/api/series/groups`, groupBody));
  }
  out.groupSeriesQuery1000Runs = { cold: stats(cold), warm: stats(warm) };
  const zoomBody = {
    runs: [LONG_RUN],
    keys: ["v"],
    x: "step",
    buckets: 400,
    xMin: 50_000,
    xMax: 53_000,
  };
  const zoom: number[] = [];
  for (let i = 0; i < 20; i++) {
    // Another range each time: no cached answer.
    const shift = i * 1000;
    zoom.push(
      await timedPost(`${base}/api/series`, {
        ...zoomBody,
        xMin: 10_000 + shift,
        xMax: 13_000 + shift,
      }),
    );
  }
  out.zoomSeriesQuery = { p50: quantile(zoom, 0.5), p95: quantile(zoom, 0.95), n: zoom.length };
  // The other metrics, never charted grouped by this server before: no cached response and
  // no cached grid row (see `groupedChart1000RunsUncachedMs` for the page).
  const uncachedKeys = ["m1", "m2", "m3", "m4"];
  if (!browser) {
    const uncached: number[] = [];
    for (const key of uncachedKeys)
      uncached.push(await timedPost(`${base}/api/series/groups`, { ...groupBody, keys: [key] }));
    out.groupSeriesQuery1000RunsUncached = stats(uncached);
    return out;
  }

  const groupedPage = async (
    breakdowns?: Record<string, number>[],
    key = "m0",
  ): Promise<number> => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${base}/#/p/${project}?keys=${key}&by=group`);
    await page.waitForSelector(`.panel[data-key="${key}"][data-series-count="4"]`, {
      timeout: 60_000,
    });
    await page.waitForFunction(() => performance.getEntriesByName("amltk:chart").length > 0);
    const t = await page.evaluate(() => performance.getEntriesByName("amltk:chart")[0]!.startTime);
    // As source text: tsx's `__name(...)` wrappers are not defined in the page.
    if (breakdowns)
      breakdowns.push(await page.evaluate(`((__name) => (${loadBreakdown})())((f) => f)`));
    await page.close();
    return t;
  };
  const coldPages: number[] = [];
  const warmPages: number[] = [];
  const coldBreakdowns: Record<string, number>[] = [];
  const warmBreakdowns: Record<string, number>[] = [];
  for (let i = 0; i < repeat; i++) {
    await touch();
    coldPages.push(await groupedPage(coldBreakdowns));
    warmPages.push(await groupedPage(warmBreakdowns));
  }
  out.groupedChart1000RunsColdMs = stats(coldPages);
  out.groupedChart1000RunsWarmMs = stats(warmPages);
  out.groupedChart1000RunsColdBreakdown = medians(coldBreakdowns);
  out.groupedChart1000RunsWarmBreakdown = medians(warmBreakdowns);
  const uncachedPages: number[] = [];
  const uncachedBreakdowns: Record<string, number>[] = [];
  for (const key of uncachedKeys) uncachedPages.push(await groupedPage(uncachedBreakdowns, key));
  out.groupedChart1000RunsUncachedMs = stats(uncachedPages);
  out.groupedChart1000RunsUncachedBreakdown = medians(uncachedBreakdowns);
  if (process.env.AMLTK_BENCH_ONLY === "grouped") return out;

  const zoomed: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${base}/#/p/${LONG_PROJECT}?keys=v`);
    const panel = '.panel[data-key="v"]';
    await page.waitForSelector(`${panel} canvas`, { timeout: 60_000 });
    await page.waitForFunction(() => performance.getEntriesByName("amltk:chart").length > 0);
    const b = (await (await page.$(`${panel} .u-over`))!.boundingBox())!;
    // 3% of the width: 3,000 of 100,000 steps, at a different place each load.
    const at = 0.2 + 0.08 * i;
    await page.mouse.move(b.x + b.width * at, b.y + 20);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width * (at + 0.03), b.y + 20, { steps: 3 });
    await page.mouse.up();
    await page.waitForFunction(() => performance.getEntriesByName("amltk:zoom-refetch").length > 0);
    zoomed.push(
      await page.evaluate(() => performance.getEntriesByName("amltk:zoom-refetch")[0]!.duration),
    );
    await page.close();
  }
  out.zoomRefetch100kStepsMs = stats(zoomed);
  return out;
}

/** The goals of these measurements, for bench/ui.ts's `goals`. */
export function groupAndZoomGoals(o: Record<string, unknown>): Record<string, boolean | null> {
  const median = (v: unknown) => (v as { median?: number } | undefined)?.median;
  const g = median(o.groupedChart1000RunsColdMs);
  const z = median(o.zoomRefetch100kStepsMs);
  return {
    groupedChart1000RunsColdLe500ms: g === undefined ? null : g <= 500,
    zoomRefetch100kStepsLe150ms: z === undefined ? null : z <= 150,
  };
}
