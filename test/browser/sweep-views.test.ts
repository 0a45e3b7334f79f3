/**
 * Issue 15, "Wrong today" 7-9 (and pruned trials shown as pruned) in real Chromium: parallel
 * coordinates keep their brushes across live updates and reloads, brushes narrow the table;
 * parameter vs metric puts an optional numeric parameter on a numeric axis with the runs
 * without it apart; best so far counts every trial (failed and pruned visible) and defaults to
 * the sweep's objective.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { skipWithoutChromium } from "../skip.js";
import { chromiumBinary, screenshotPath } from "./browser.js";
import { hashParams, type Suite, startSuite } from "./suite.js";

const T0 = 1_764_000_000;
const TRIALS = 24;
const FAILED = [5, 11];
const PRUNED = [7, 13];
/** The pruned trial stored with the state `pruned` (the other one the old way). */
const STORED_PRUNED = 13;

/**
 * Project "hpo": 24 trials in creation order; sgd trials (odd) have a momentum, adam ones none;
 * `metric/cost` (the objective, as the W&B plugin logs it) = |log10(lr) + 3|; `accuracy` too
 * (alphabetically first, so a default by name would pick it). Trials 5 and 11 failed, 7 and
 * 13 were pruned: none of them has a cost. Trial 13 has the stored state `pruned` (how the W&B
 * plugin closes a pruned trial now, no exception needed); trial 7 is stored as before that
 * state existed, failed with the exception "Pruned at step 3", and must still read pruned.
 */
async function fill(store: SqliteStore): Promise<void> {
  for (let k = 0; k < TRIALS; k++) {
    const id = `t${String(k).padStart(2, "0")}`;
    const lr = 10 ** (-5 + (k % 12) / 3);
    await store.createRun({
      id,
      project: "hpo",
      name: `trial-${k}`,
      config: { lr, opt: k % 2 ? "sgd" : "adam", ...(k % 2 ? { momentum: 0.5 + k / 100 } : {}) },
      createdAt: (T0 + k) * 1000,
    });
    const failed = FAILED.includes(k);
    const pruned = PRUNED.includes(k);
    if (k === STORED_PRUNED) {
      await store.updateRun(id, { state: "pruned", exitCode: 0 });
      continue;
    }
    await store.updateRun(id, {
      state: failed || pruned ? "failed" : "finished",
      exitCode: failed || pruned ? 1 : 0,
      summary:
        failed || pruned
          ? { exception: pruned ? "Pruned at step 3" : "boom" }
          : { "metric/cost": Math.abs(Math.log10(lr) + 3), accuracy: 1 / (1 + k) },
    });
  }
}

const noBrowser = skipWithoutChromium("dashboard sweep view tests", chromiumBinary);

describe.skipIf(noBrowser)("dashboard: sweep views", () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await startSuite(fill);
  });
  afterAll(() => suite?.close());

  it("defaults to the objective and counts every trial, failed and pruned ones shown", async () => {
    const page = await suite.open("/p/hpo?view=hpo");
    const best = '.panel[data-key^="best metric/cost"]';
    await page.waitForSelector(`${best} canvas`);
    expect(await page.$eval('select[name="metric"]', (s) => (s as HTMLSelectElement).value)).toBe(
      "metric/cost",
    );
    expect(await page.getAttribute(best, "data-trials")).toBe(String(TRIALS));
    expect(await page.getAttribute(best, "data-failed")).toBe(String(FAILED.length));
    expect(await page.getAttribute(best, "data-pruned")).toBe(String(PRUNED.length));
    // The table says pruned, not failed.
    for (const k of PRUNED) {
      expect(
        await page.textContent(`tr[data-run-id="t${String(k).padStart(2, "0")}"] .badge`),
      ).toBe("pruned");
    }
    expect(await page.textContent('tr[data-run-id="t05"] .badge')).toBe("failed");
    await suite.done(page);
  });

  it("filters on the stored pruned state", async () => {
    const page = await suite.open("/p/hpo");
    await page.waitForSelector('tr[data-run-id="t00"]');
    await page.selectOption('select[name="state"]', "pruned");
    await page.waitForFunction(() => document.querySelectorAll("tr[data-run-id]").length === 1);
    const ids = await page.$$eval("tr[data-run-id]", (rows) =>
      rows.map((r) => r.getAttribute("data-run-id")),
    );
    expect(ids).toEqual([`t${STORED_PRUNED}`]);
    expect(await page.textContent(`tr[data-run-id="t${STORED_PRUNED}"] .badge`)).toBe("pruned");
    await suite.done(page);
  });

  it("puts an optional numeric parameter on a numeric axis, runs without it apart", async () => {
    const page = await suite.open("/p/hpo?view=hpo&param=momentum");
    const panel = '.panel[data-key^="momentum vs"]';
    await page.waitForSelector(`${panel} canvas`);
    expect(await page.getAttribute(panel, "data-x")).toBe("numeric");
    // Adam trials with a cost: the even ones, none of them failed or pruned.
    const adamScored = Array.from({ length: TRIALS }, (_, k) => k).filter(
      (k) => k % 2 === 0 && !FAILED.includes(k) && !PRUNED.includes(k),
    ).length;
    expect(await page.getAttribute(panel, "data-missing")).toBe(String(adamScored));
    expect(await page.textContent(panel)).toContain(`${adamScored} runs without momentum`);
    await suite.done(page);
  });

  it("keeps brushes across live updates and reloads, and narrows the table to them", async () => {
    const page = await suite.open("/p/hpo?view=hpo");
    await page.waitForSelector(".parcoords[data-lines]");
    const box = (await (await page.$(".parcoords canvas"))!.boundingBox())!;
    // Brush the lower half of the metric (last) axis.
    const axisX = box.x + box.width - 60;
    await page.mouse.move(axisX, box.y + 282);
    await page.mouse.down();
    await page.mouse.move(axisX, box.y + 280 - 0.5 * 240, { steps: 4 });
    await page.mouse.up();
    await page.waitForFunction(() => location.hash.includes("brush="));
    const kept = await page.getAttribute(".parcoords", "data-selected");
    expect(Number(kept)).toBeGreaterThan(0);
    expect(Number(kept)).toBeLessThan(TRIALS - FAILED.length - PRUNED.length);
    await page.waitForFunction(
      (n) => document.querySelectorAll("tr[data-run-id]").length === n,
      Number(kept),
    );
    const brush = JSON.parse(hashParams(page).get("brush")!);
    expect(brush["metric/cost"].range).toHaveLength(2);
    // A new run: the live update redraws the sweep, the brush stays.
    const writer = await SqliteStore.open(suite.dir);
    try {
      await writer.createRun({ id: "live", project: "hpo", name: "live", createdAt: Date.now() });
    } finally {
      await writer.close();
    }
    await page.waitForSelector(`.hpo[data-total="${TRIALS + 1}"] .parcoords[data-lines]`);
    expect(await page.getAttribute(".parcoords", "data-selected")).toBe(kept);
    await page.screenshot({ path: screenshotPath("sweep-brush"), fullPage: true });
    await page.reload();
    await page.waitForSelector(".parcoords[data-lines]");
    expect(await page.getAttribute(".parcoords", "data-selected")).toBe(kept);
    expect(await page.$$eval("tr[data-run-id]", (r) => r.length)).toBe(Number(kept));
    await suite.done(page);
  });
});
