/**
 * Issue 15, item 12 in real Chromium: NaN and ±Infinity points get markers (a diamond for NaN,
 * a triangle on the top edge for +Infinity, on the bottom edge for -Infinity), the tooltip and
 * a note under the chart count them, and the finite line is drawn exactly as without them.
 */
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqliteStore } from "../../src/store/sqlite/index.js";
import { skipWithoutChromium } from "../skip.js";
import { chromiumBinary, screenshotPath } from "./browser.js";
import { type Suite, startSuite } from "./suite.js";

const T0 = 1_764_100_000;
const STEPS = 40;
const finite = (s: number) => 1 / (s + 1);
/** The steps where run "dirty" logged NaN, +Infinity and -Infinity (a NaN tail from 36 on). */
const NAN_STEPS = [10, 11, 36, 37, 38, 39];
const dirty = (s: number) =>
  NAN_STEPS.includes(s)
    ? Number.NaN
    : s === 20
      ? Number.POSITIVE_INFINITY
      : s === 21
        ? Number.NEGATIVE_INFINITY
        : finite(s);

/**
 * Project "odd": run "clean" logs `finite`; run "dirty" the same with non-finite points; each
 * run's `config.side` is its id (two groups when grouped by it); both log `epoch` = 2 × step.
 */
async function fill(store: SqliteStore): Promise<void> {
  for (const [k, [id, f]] of (
    [
      ["clean", finite],
      ["dirty", dirty],
    ] as const
  ).entries()) {
    const config = { side: id };
    await store.createRun({ id, project: "odd", name: id, config, createdAt: (T0 + k) * 1000 });
    await store.appendHistory(
      id,
      Array.from({ length: STEPS }, (_, s) => ({
        step: s,
        runtime: s,
        timestamp: T0 + s,
        values: { loss: f(s), epoch: 2 * s },
      })),
    );
    await store.updateRun(id, { state: "finished" });
  }
}

/** The text of the file the page downloads when `click` runs. */
async function downloadText(page: Page, click: () => Promise<void>): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent("download"), click()]);
  return (await readFile(await download.path())).toString("utf8");
}

const noBrowser = skipWithoutChromium("dashboard NaN/Infinity marker tests", chromiumBinary);

describe.skipIf(noBrowser)("dashboard: NaN/Infinity markers", () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await startSuite(fill);
  });
  afterAll(() => suite?.close());

  it("marks NaN and ±Infinity, counts them, and draws the finite line unchanged", async () => {
    const page = await suite.open("/p/odd?sel=clean,dirty&keys=loss");
    const panel = '.panel[data-key="loss"]';
    // One shape per bucket and kind: 6 NaN diamonds, one +Inf and one -Inf triangle.
    await page.waitForSelector(`${panel}[data-marks="8"] canvas`);
    expect(await page.getAttribute(panel, "data-non-finite")).toBe("nan:6,posInf:1,negInf:1");
    expect(await page.textContent(`${panel} .marks-note`)).toContain("6 NaN, 1 +Inf, 1 −Inf");

    // The plotted lines, as the panel's CSV export writes them: x, then each line (and with
    // two runs, each run's min/max band edges).
    const csv = await downloadText(page, () => page.click(`${panel} button[name="export-csv"]`));
    const [header, ...rows] = csv
      .trimEnd()
      .split("\r\n")
      .map((l) => l.split(","));
    const col = (name: string) => header!.indexOf(name);
    expect(col("clean")).toBeGreaterThan(0);
    expect(col("dirty")).toBeGreaterThan(0);
    expect(rows.map((r) => Number(r[0]))).toEqual(Array.from({ length: STEPS }, (_, s) => s));
    for (const r of rows) {
      const s = Number(r[0]);
      const want = Number.isFinite(dirty(s)) ? String(finite(s)) : "";
      expect(r[col("dirty")], `step ${s}`).toBe(want);
      expect(r[col("clean")], `step ${s}`).toBe(String(finite(s)));
    }

    // Hovering the +Infinity step names it for the dirty run; the clean run keeps its value.
    const over = (await (await page.$(`${panel} .u-over`))!.boundingBox())!;
    const [lo, hi] = (await page.getAttribute(panel, "data-x-range"))!.split("..").map(Number);
    await page.mouse.move(over.x + ((20 - lo!) / (hi! - lo!)) * over.width, over.y + 30);
    await page.waitForSelector(`${panel} .tip:not([hidden]) .tip-odd`);
    const tip = (await page.textContent(`${panel} .tip`))!;
    expect(tip).toContain("step 20");
    expect(tip).toMatch(/dirty\s+1 \+Inf/);
    expect(tip).toContain("clean");
    await page.screenshot({ path: screenshotPath("non-finite-markers") });
    await suite.done(page);
  });

  it("marks them on a chart of many runs too (lines only) and hides them with the line", async () => {
    // Smoothing on: the panel asks for `last` and `nonFinite` only (the many-run request).
    const page = await suite.open("/p/odd?sel=clean,dirty&keys=loss&smooth=0.5");
    const panel = '.panel[data-key="loss"]';
    await page.waitForSelector(`${panel}[data-marks="8"] canvas`);
    expect(await page.getAttribute(panel, "data-non-finite")).toBe("nan:6,posInf:1,negInf:1");
    // Hiding the dirty run's line in the legend hides its markers.
    await page.click(`${panel} .legend [role="button"]:has-text("dirty")`);
    await page.waitForSelector(`${panel}[data-marks="0"]`);
    await suite.done(page);
  });

  it("marks them against a logged metric on x, where the values are placed", async () => {
    const page = await suite.open("/p/odd?sel=clean,dirty&keys=loss&xkey=epoch");
    const panel = '.panel[data-key="loss"]';
    await page.waitForSelector(`${panel}[data-marks="8"] canvas`);
    expect(await page.getAttribute(panel, "data-non-finite")).toBe("nan:6,posInf:1,negInf:1");
    // The +Infinity at step 20 sits at epoch 40.
    const over = (await (await page.$(`${panel} .u-over`))!.boundingBox())!;
    const [lo, hi] = (await page.getAttribute(panel, "data-x-range"))!.split("..").map(Number);
    await page.mouse.move(over.x + ((40 - lo!) / (hi! - lo!)) * over.width, over.y + 30);
    await page.waitForSelector(`${panel} .tip:not([hidden]) .tip-odd`);
    expect(await page.textContent(`${panel} .tip`)).toMatch(/dirty\s+1 \+Inf/);
    await suite.done(page);
  });

  it("marks a group's NaN/±Infinity on its mean line, counted over the group's runs", async () => {
    const page = await suite.open("/p/odd?by=config.side&keys=loss");
    const panel = '.panel[data-key="loss"]';
    await page.waitForSelector(`${panel}[data-series-count="2"][data-marks="8"] canvas`);
    expect(await page.getAttribute(panel, "data-non-finite")).toBe("nan:6,posInf:1,negInf:1");
    expect(await page.textContent(`${panel} .marks-note`)).toContain("6 NaN, 1 +Inf, 1 −Inf");
    await suite.done(page);
  });
});
