/**
 * The grouped-chart part of bench/ui.ts alone (issue 15's goal: a grouped chart over all 1,000
 * runs in 4 groups <= 500 ms, cold): `groupedChart1000RunsColdMs` / `WarmMs` and where each
 * load's time went (`groupedChart1000RunsColdBreakdown`). Reuses bench/ui.ts's SQLite store:
 * `AMLTK_BENCH_UI_DIR=<dir> npx tsx bench/ui-grouped.ts` (generates it there when missing).
 * Prints one JSON object.
 */

import { rmSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { buildDashboard, CHROMIUM, hasChromium, launchChromium } from "../test/browser/browser.js";
import { openBenchStore, serveInChild } from "./ui-store.js";
import { addLongRun, measureGroupsAndZoom, touchStore } from "./ui-views.js";

const RUNS = Number(process.env.AMLTK_BENCH_RUNS ?? 1000);
const STEPS = Number(process.env.AMLTK_BENCH_STEPS ?? 10_000);
const REPEAT = Number(process.env.AMLTK_BENCH_REPEAT ?? 7);
const PROJECT = "bench";

async function main(): Promise<void> {
  if (!hasChromium) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  const shape = { runs: RUNS, metrics: 5, steps: STEPS, project: PROJECT };
  const bench = await openBenchStore("sqlite", shape, process.env.AMLTK_BENCH_UI_DIR);
  await addLongRun(bench.store);
  const out: Record<string, unknown> = { bench: "ui-grouped", runs: RUNS, steps: STEPS };
  const webDir = await buildDashboard();
  const server = await serveInChild(bench.target, webDir);
  const browser = await launchChromium();
  process.env.AMLTK_BENCH_ONLY = "grouped";
  try {
    Object.assign(
      out,
      await measureGroupsAndZoom(server.url, PROJECT, RUNS, REPEAT, browser, () =>
        touchStore(bench.store),
      ),
    );
  } finally {
    await browser.close();
    await server.close();
    rmSync(webDir, { recursive: true, force: true });
    await bench.close();
  }
  // Other work on the machine inflates every number above; this says how much there was.
  out.machine = { cores: cpus().length, loadAverage1m: +loadavg()[0]!.toFixed(2) };
  console.log(JSON.stringify(out, null, 2));
}

await main();
