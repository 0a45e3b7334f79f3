/**
 * Issue 15, "Wrong today" 4-6 in real Chromium: axis labels that tell ticks apart in a gutter
 * as wide as they are, panels from the union of every selected run's keys in a stable order,
 * numeric keys only, and an empty panel (or chart area) that says why.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqliteStore } from "../../src/store/sqlite/index.js";
import { skipWithoutChromium } from "../skip.js";
import { chromiumBinary, screenshotPath } from "./browser.js";
import { type Suite, startSuite } from "./suite.js";

const T0 = 1_764_000_000;

/**
 * Project "axes": six runs logging `small` (1e-5..3e-4), `big` (1e8 scale) and the plugin's
 * text keys `status`/`exception`; `allnan` only NaN; the sixth run alone logs `extra`.
 */
async function fill(store: SqliteStore): Promise<void> {
  for (let k = 0; k < 6; k++) {
    const id = `a${k}`;
    await store.createRun({ id, project: "axes", name: `run-${k}`, createdAt: (T0 + k) * 1000 });
    const rows = Array.from({ length: 30 }, (_, s) => ({
      step: s,
      runtime: s,
      timestamp: T0 + s,
      values: {
        small: 1e-5 + (s / 29) * 2.9e-4,
        big: 1e8 + s * 1e6 * (k + 1),
        status: "ok",
        exception: "",
        allnan: Number.NaN,
        ...(k === 5 ? { extra: s } : {}),
      },
    }));
    await store.appendHistory(id, rows);
    await store.updateRun(id, { state: "finished" });
  }
}

const noBrowser = skipWithoutChromium("dashboard axes/panels tests", chromiumBinary);

describe.skipIf(noBrowser)("dashboard: axes and panels", () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await startSuite(fill);
  });
  afterAll(() => suite?.close());

  it("charts the union of the selected runs' numeric keys, in name order, and says what it left out", async () => {
    const page = await suite.open("/p/axes");
    await page.waitForSelector('.panel[data-key="extra"] canvas');
    await page.waitForSelector('.panel[data-key="small"] canvas');
    const keys = await page.$$eval(".grid > .panel", (ps) =>
      ps.map((p) => (p as HTMLElement).dataset.key),
    );
    expect(keys).toEqual(["big", "extra", "small"]);
    const note = await page.textContent(".keys-note");
    expect(note).toContain("allnan");
    expect(note).toContain("exception");
    expect(note).toContain("status");
    await suite.done(page);
  });

  it("labels small and large values apart, in a gutter that fits them", async () => {
    const page = await suite.open("/p/axes?keys=small,big");
    for (const key of ["small", "big"]) {
      const sel = `.panel[data-key="${key}"]`;
      await page.waitForSelector(`${sel}[data-y-labels] canvas`);
      const labels = (await page.getAttribute(sel, "data-y-labels"))!.split("|");
      expect(labels.length).toBeGreaterThan(2);
      expect(new Set(labels).size, labels.join(" ")).toBe(labels.length);
      expect(labels.filter((l) => l === "0").length).toBeLessThanOrEqual(1);
      // Every label fits the gutter uPlot gives the axis.
      const gutter = Number(await page.getAttribute(sel, "data-y-gutter"));
      const widest = await page.evaluate((ls) => {
        const ctx = document.createElement("canvas").getContext("2d")!;
        ctx.font = "12px system-ui, -apple-system, sans-serif";
        return Math.max(...ls.map((l) => ctx.measureText(l).width));
      }, labels);
      expect(gutter).toBeGreaterThan(widest);
      const nonZero = labels.filter((l) => l !== "0");
      if (key === "small")
        expect(
          nonZero.every((l) => /^\d(\.\d+)?e-\d$/.test(l)),
          labels.join(" "),
        ).toBe(true);
      if (key === "big")
        expect(
          nonZero.every((l) => /^[\d.]+M$/.test(l)),
          labels.join(" "),
        ).toBe(true);
    }
    await page.screenshot({ path: screenshotPath("axes-labels"), fullPage: true });
    await suite.done(page);
  });

  it("says why a named panel is empty, and why the chart area is", async () => {
    const page = await suite.open("/p/axes?keys=status,nope");
    await page.waitForSelector('.panel[data-key="status"][data-empty]');
    await page.waitForSelector('.panel[data-key="nope"][data-empty]');
    expect(await page.textContent('.panel[data-key="status"] .empty-note')).toContain("text");
    expect(await page.textContent('.panel[data-key="nope"] .empty-note')).toContain(
      'No charted run logged "nope"',
    );
    await suite.done(page);
    const none = await suite.open("/p/axes?f=name%20%3D%20nobody");
    await none.waitForSelector('.grid .empty:has-text("No runs match")');
    await suite.done(none);
  });
});
