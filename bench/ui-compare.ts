/**
 * The run comparison view's speed (issue 15): `compare10RunsMs` is `amltk:compare` (the
 * comparison of 10 runs painted) from navigation start, first/median/max of REPEAT loads in
 * fresh pages. Goal: <= 300 ms.
 *
 * `measureCompare` runs against any served project (bench/ui.ts can call it with its own
 * server); run alone (`npx tsx bench/ui-compare.ts`) it builds a SQLite store of RUNS runs (env
 * AMLTK_BENCH_RUNS, default 1,000), each with 40 config and 60 summary values (nested, some
 * strings), serves it in a child process as bench/ui.ts does, and prints one JSON object.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { SqliteStore } from "../src/store/sqlite/index.js";
import type { StoredValue } from "../src/store/types.js";
import { buildDashboard, CHROMIUM, hasChromium, launchChromium } from "../test/browser/browser.js";
import { serveInChild } from "./ui-store.js";

export const COMPARE_GOAL_MS = 300;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Loads the comparison of `ids` `repeat` times; the paint mark's stats and the goal. */
export async function measureCompare(
  base: string,
  project: string,
  ids: readonly string[],
  repeat: number,
  browser: Browser,
): Promise<Record<string, unknown>> {
  const times: number[] = [];
  const appStart: number[] = [];
  const breakdowns: Record<string, number>[] = [];
  let rows = 0;
  for (let i = 0; i < repeat; i++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${base}/#/p/${encodeURIComponent(project)}/compare?ids=${ids.join(",")}`);
    await page.waitForFunction(
      () => performance.getEntriesByName("amltk:compare").length > 0,
      null,
      {
        timeout: 60_000,
      },
    );
    const [painted, started] = await page.evaluate(() =>
      ["amltk:compare", "amltk:app-start"].map(
        (m) => performance.getEntriesByName(m)[0]!.startTime,
      ),
    );
    times.push(painted!);
    appStart.push(started!);
    // As source text: tsx's `__name(...)` wrappers of inner functions are not defined in the page.
    breakdowns.push(await page.evaluate(`((__name) => (${compareBreakdown})())((f) => f)`));
    // The rows below the fold follow the first paint: count them once all are there.
    await page.waitForSelector('table.compare[data-complete="1"]');
    rows = await page.$$eval("table.compare tr[data-key]", (r) => r.length);
    await page.close();
  }
  const stats = {
    first: Math.round(times[0]!),
    median: Math.round(median(times)),
    max: Math.round(Math.max(...times)),
  };
  return {
    compare10RunsMs: stats,
    compareRows: rows,
    // Where the time went: the app's script started running (the rest is the runs' requests
    // and the table's build and paint).
    compareAppStartMedianMs: Math.round(median(appStart)),
    compareBreakdownMedians: medians(breakdowns),
    compareGoal: { ms: COMPARE_GOAL_MS, met: stats.median <= COMPARE_GOAL_MS },
  };
}

/**
 * Where one comparison load spent its time (runs in the page): the document's arrival, the
 * runs request(s) (`runsRequests` > 1 means the page did not take index.html's early request),
 * the server's own time for them (`Server-Timing: app`), and the app's marks; ms from
 * navigation start.
 */
function compareBreakdown(): Record<string, number> {
  const out: Record<string, number> = {};
  const r1 = (x: number) => Math.round(x * 10) / 10;
  const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
  out.htmlResponseEndAt = r1(nav.responseEnd);
  out.domContentLoadedAt = r1(nav.domContentLoadedEventStart);
  out.runsRequests = 0;
  for (const e of performance.getEntriesByType("resource") as PerformanceResourceTiming[]) {
    if (!new URL(e.name).pathname.includes("/api/runs")) continue;
    out.runsRequests++;
    if (out.runsRequests > 1) continue;
    out.runsStartAt = r1(e.startTime);
    out.runsResponseEndAt = r1(e.responseEnd);
    const app = e.serverTiming.find((t) => t.name === "app");
    if (app) out.runsServerWorkMs = r1(app.duration);
  }
  for (const m of performance.getEntriesByType("mark"))
    if (m.name.startsWith("amltk:")) out[`mark ${m.name.slice(6)}`] = r1(m.startTime);
  return out;
}

/** Per field, the median over page loads. */
function medians(rows: Record<string, number>[]): Record<string, number> {
  const fields = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(
    fields.map((f) => [f, median(rows.map((r) => r[f]).filter((x) => x !== undefined))]),
  );
}

/** Median `amltk:runs-table` of the bench project over 5 loads. */
async function tableMedian(base: string, browser: Browser): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < 5; i++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${base}/#/p/bench`);
    await page.waitForFunction(() => performance.getEntriesByName("amltk:runs-table").length > 0);
    t.push(
      await page.evaluate(() => performance.getEntriesByName("amltk:runs-table")[0]!.startTime),
    );
    await page.close();
  }
  return Math.round(median(t));
}

/** A run's config (40 values, some nested) and summary (60 values). */
function runFields(k: number): {
  config: Record<string, StoredValue>;
  summary: Record<string, StoredValue>;
} {
  const config: Record<string, StoredValue> = {
    optimizer: { name: k % 2 ? "adam" : "sgd", lr: 10 ** -(1 + (k % 5)) },
  };
  for (let j = 0; j < 38; j++)
    config[`param_${j}`] = j % 4 === 0 ? `choice-${(k + j) % 3}` : (k * 7 + j) % 11;
  const summary: Record<string, StoredValue> = {};
  for (let j = 0; j < 60; j++) summary[`metric_${j}`] = Math.sin(k + j);
  return { config, summary };
}

async function main(): Promise<void> {
  const runs = Number(process.env.AMLTK_BENCH_RUNS ?? 1000);
  const out: Record<string, unknown> = { bench: "ui-compare", runs };
  if (!hasChromium) {
    out.browser = `skipped: no Chromium at ${CHROMIUM}`;
    console.log(JSON.stringify(out));
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "amltk-bench-compare-"));
  const store = await SqliteStore.open(dir);
  const webDir = await buildDashboard();
  try {
    await store.transaction!(async (tx) => {
      for (let k = 0; k < runs; k++) {
        const { config, summary } = runFields(k);
        const id = `r${k}`;
        await tx.createRun({
          id,
          project: "bench",
          name: `run-${k}`,
          createdAt: 1_764_000_000_000 + k,
          config,
        });
        await tx.updateRun(id, { summary, state: "finished", exitCode: 0 });
      }
    });
    await store.close();
    const server = await serveInChild(dir, webDir);
    const browser = await launchChromium();
    try {
      const ids = Array.from({ length: 10 }, (_, i) => `r${i * 97}`);
      Object.assign(out, await measureCompare(server.url, "bench", ids, 7, browser));
      // The same machine's runs table of the project, for scale (bench/ui.ts's goal: 500 ms).
      out.runsTableSameMachineMs = await tableMedian(server.url, browser);
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(webDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(out));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
