/**
 * Issue 15, "Wrong today" 10-12 in real Chromium: stable default columns with the objective
 * first and each column's source shown; long strings that do not widen pages (also at 390 px);
 * one time zone, labelled; headers sortable by keyboard; clickable legends; console colours,
 * times and search; nested config as the table shows it; a live projects page.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { skipWithoutChromium } from "../skip.js";
import { chromiumBinary, screenshotPath } from "./browser.js";
import { hashParams, type Suite, startSuite } from "./suite.js";

const T0 = 1_764_000_000;
const LONG_NAME = `run-${"n".repeat(300)}`;
const LONG_KEY = `k${"e".repeat(199)}`;

/**
 * Project "misc": three runs; config `lr` and summary `lr` both exist, nested config
 * `schedule.kind`, a 200-character config key; run m0 has a 300-character name, long notes and
 * coloured console output.
 */
async function fill(store: SqliteStore): Promise<void> {
  for (let k = 0; k < 3; k++) {
    const id = `m${k}`;
    await store.createRun({
      id,
      project: "misc",
      name: k === 0 ? LONG_NAME : `run-${k}`,
      notes: k === 0 ? "w".repeat(2000) : null,
      config: {
        lr: k / 10,
        schedule: { kind: k ? "step" : "cosine" },
        [LONG_KEY]: "v".repeat(300),
      },
      createdAt: (T0 + k) * 1000,
    });
    await store.appendHistory(
      id,
      Array.from({ length: 10 }, (_, s) => ({
        step: s,
        runtime: s,
        timestamp: T0 + s,
        values: { loss: k + 1 / (s + 1) },
      })),
    );
    await store.updateRun(id, {
      state: "finished",
      summary: { "metric/cost": k, accuracy: 1 - k / 10, lr: k / 100, zeta: 1 },
    });
  }
  await store.appendConsole("m0", [
    { stream: "stdout", timestamp: T0 + 1, text: "\x1b[31merror\x1b[0m: disk \x1b[1mfull\x1b[0m" },
    { stream: "stdout", timestamp: T0 + 2, text: "epoch 1 done" },
    { stream: "stderr", timestamp: T0 + 3, text: "epoch 2 done" },
  ]);
}

const noBrowser = skipWithoutChromium("dashboard layout/detail tests", chromiumBinary);

/** Whether the page is no wider than its viewport (nothing pushes a horizontal scrollbar). */
const fits = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

describe.skipIf(noBrowser)("dashboard: columns, layout, details", () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await startSuite(fill);
  });
  afterAll(() => suite?.close());

  const headers = (page: Page) =>
    page.$$eval("th[data-col]", (ths) => ths.map((t) => (t as HTMLElement).dataset.col!));

  it("keeps default columns stable, the objective first, the source of each shown", async () => {
    const page = await suite.open("/p/misc");
    await page.waitForSelector('table.runs[data-rows="3"]');
    const before = await headers(page);
    expect(before[2]).toBe("summary.metric/cost");
    expect(before).toContain("config.lr");
    expect(before).toContain("summary.lr");
    expect(await page.textContent('th[data-col="config.lr"] .col-src')).toBe("config");
    expect(await page.textContent('th[data-col="summary.lr"] .col-src')).toBe("summary");
    expect(await page.textContent('th[data-col="createdAt"]')).toContain("UTC");
    // Sorting by keyboard (Tab to the header, Enter) changes the order, not the columns.
    await page.focus('th[data-col="summary.accuracy"]');
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => location.hash.includes("sort=-summary.accuracy"));
    await page.waitForSelector('th[data-col="summary.accuracy"][aria-sort="descending"]');
    expect(await headers(page)).toEqual(before);
    await page.fill('input[name="f"]', "lr > 0.05");
    await page.press('input[name="f"]', "Enter");
    await page.waitForSelector('table.runs[data-rows="2"]');
    expect(await headers(page)).toEqual(before);
    await suite.done(page);
  });

  it("keeps long names, keys and values inside the page, at 1280 and 390 px", async () => {
    for (const width of [1280, 390]) {
      const runs = await suite.open(`/p/misc?cols=config.${LONG_KEY},name`, width);
      await runs.waitForSelector('table.runs[data-rows="3"]');
      await runs.waitForSelector('.panel[data-key="loss"] canvas');
      expect(await fits(runs), `runs page at ${width}px`).toBe(true);
      await runs.screenshot({ path: screenshotPath(`narrow-runs-${width}`), fullPage: true });
      await suite.done(runs);
      const run = await suite.open("/run/m0", width);
      await run.waitForSelector('table[data-kv="config"]');
      await run.waitForSelector('.panel[data-key="loss"] canvas');
      expect(await fits(run), `run page at ${width}px`).toBe(true);
      await run.screenshot({ path: screenshotPath(`narrow-run-${width}`), fullPage: true });
      await suite.done(run);
    }
    const sweep = await suite.open("/p/misc?view=hpo");
    await sweep.waitForSelector(".parcoords");
    expect(await fits(sweep)).toBe(true);
    await suite.done(sweep);
  });

  it("renders console colours with times, searches it, and shows nested config as dotted keys", async () => {
    const page = await suite.open("/run/m0");
    await page.waitForSelector('pre.console .ansi-fg-1:has-text("error")');
    expect(await page.textContent("pre.console .ansi-bold")).toBe("full");
    const text = (await page.textContent("pre.console"))!;
    expect(text).not.toContain("\x1b");
    expect(text).not.toContain("[31m");
    expect(await page.$$eval("pre.console .ts", (ts) => ts.length)).toBe(3);
    await page.fill('input[name="console-search"]', "EPOCH");
    await page.waitForSelector('#console-count:has-text("2 matching")');
    expect(await page.$$eval("pre.console span.line:not([hidden])", (l) => l.length)).toBe(2);
    expect(await page.textContent('table[data-kv="config"]')).toContain("schedule.kind");
    await suite.done(page);
  });

  it("hides a line from its legend entry, and labels the time axis UTC", async () => {
    const page = await suite.open("/p/misc?keys=loss&x=time");
    const panel = '.panel[data-key="loss"][data-series-count="3"]';
    await page.waitForSelector(`${panel} .legend span[data-series]`);
    await page.click(`${panel} .legend span[data-series]`);
    await page.waitForSelector(`${panel} .legend span.off`);
    const b = (await (await page.$(`${panel} .u-over`))!.boundingBox())!;
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
    await page.waitForSelector(`${panel} .tip:not([hidden])`);
    expect(await page.textContent(`${panel} .tip-x`)).toContain("UTC");
    expect(hashParams(page).get("x")).toBe("time");
    await suite.done(page);
  });

  it("shows a new project on the projects page without a reload", async () => {
    const page = await suite.open("/");
    await page.waitForSelector('tr[data-project="misc"]');
    const writer = await SqliteStore.open(suite.dir);
    try {
      await writer.createRun({
        id: "fresh1",
        project: "fresh",
        name: "fresh",
        createdAt: Date.now(),
      });
    } finally {
      await writer.close();
    }
    await page.waitForSelector('tr[data-project="fresh"]');
    await suite.done(page);
  });
});
