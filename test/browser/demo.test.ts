/**
 * The demo's sweep (`amltk demo`: the seed target on worker processes, tracked by the W&B
 * plugin) seen in the dashboard: its runs fill the table and the sweep views draw them.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDemoSweep } from "../../src/cli/demo-command.js";
import { createServer, type RunningServer } from "../../src/server/index.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { skipWithoutChromium } from "../skip.js";
import {
  buildDashboard,
  chromiumBinary,
  closeSuite,
  launchChromium,
  screenshotPath,
} from "./browser.js";

/** Skipped without Chromium, with the reason printed; under CI=true a failure instead. */
const noBrowser = skipWithoutChromium("demo browser test", chromiumBinary);

const TRIALS = 6;

describe.skipIf(noBrowser)("the demo's runs in the dashboard", () => {
  let dir: string;
  let webDir: string;
  let store: SqliteStore;
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "amltk-web-demo-"));
    [, webDir] = await Promise.all([
      runDemoSweep({ trials: TRIALS, workers: 2, dir, project: "amltk-demo" }),
      buildDashboard(),
    ]);
    store = await SqliteStore.open(dir);
    server = await createServer({ store, port: 0, host: "127.0.0.1", auth: false, webDir });
    browser = await launchChromium();
  });

  afterAll(() => closeSuite({ browser, server, store, dirs: [dir, webDir] }));

  it("lists every trial with its config and cost, and draws the sweep views", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${server.url}/#/p/amltk-demo`);
    await page.waitForFunction(
      (n) => document.querySelectorAll("tr[data-run-id]").length === n,
      TRIALS,
    );
    const names = await page.$$eval("tr[data-run-id] td.name a", (as) =>
      as.map((a) => a.textContent),
    );
    expect(names.sort()).toEqual(Array.from({ length: TRIALS }, (_, i) => `trial-${i}`).sort());
    const headers = await page.$$eval("th[data-col]", (ths) =>
      ths.map((t) => (t as HTMLElement).dataset.col),
    );
    expect(headers).toEqual(
      expect.arrayContaining(["config.x", "config.y", "config.z", "summary.metric/cost"]),
    );
    // Every demo trial logs `loss` for 10 steps; the ten default-selected runs are charted.
    await page.waitForSelector(`.panel[data-key="loss"][data-series-count="${TRIALS}"]`);
    await page.click('button[data-view="hpo"]');
    await page.waitForSelector(`.parcoords[data-lines="${TRIALS}"]`);
    // The objective is picked by default: the target writes `cost` to the summary.
    expect(await page.$eval('select[name="metric"]', (s) => (s as HTMLSelectElement).value)).toBe(
      "cost",
    );
    await page.screenshot({ path: screenshotPath("demo-sweep"), fullPage: true });
    await page.close();
    expect(errors).toEqual([]);
  });
});
