/**
 * Issue 15, "Missing" (chart control) in real Chromium: a regex search over panels, a logged
 * metric (epoch) as x, a y scale that ignores outliers, and a scatter of two summary values
 * across runs.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqliteStore } from "../../src/store/sqlite/index.js";
import { skipWithoutChromium } from "../skip.js";
import { chromiumBinary } from "./browser.js";
import { hashParams, type Suite, startSuite } from "./suite.js";

const T0 = 1_764_000_000;
const SPIKE = 10_000;

/**
 * Project "tools": 3 runs of 100 steps logging loss (run 0 starts with a spike), val/loss,
 * val/acc (= step / 100), lr and epoch (= floor(step / 10)).
 */
async function fill(store: SqliteStore): Promise<void> {
  for (let k = 0; k < 3; k++) {
    const id = `t${k}`;
    await store.createRun({
      id,
      project: "tools",
      name: `run-${k}`,
      config: { k },
      createdAt: (T0 + k) * 1000,
    });
    await store.appendHistory(
      id,
      Array.from({ length: 100 }, (_, s) => ({
        step: s,
        runtime: s,
        timestamp: T0 + s,
        values: {
          loss: k === 0 && s === 0 ? SPIKE : 1 + k / 10 - s / 200,
          "val/loss": 2 - s / 100,
          "val/acc": s / 100,
          lr: 0.1,
          epoch: Math.floor(s / 10),
        },
      })),
    );
    await store.updateRun(id, {
      state: "finished",
      exitCode: 0,
      summary: { loss: 0.5 + k, acc: 0.9 - k / 10, epochs: 10 + k },
    });
  }
  // Project "epochs": groups a and b of two runs each, one with 10 steps per epoch and one with
  // 20, each logging epoch and acc = epoch / 10 (+ 0.5 in group b) for 10 epochs.
  for (const [k, [group, perEpoch]] of (
    [
      ["a", 10],
      ["a", 20],
      ["b", 10],
      ["b", 20],
    ] as const
  ).entries()) {
    const id = `e${k}`;
    await store.createRun({ id, project: "epochs", name: id, group, createdAt: (T0 + k) * 1000 });
    await store.appendHistory(
      id,
      Array.from({ length: 10 * perEpoch }, (_, s) => {
        const epoch = Math.floor(s / perEpoch);
        const acc = epoch / 10 + (group === "b" ? 0.5 : 0);
        return { step: s, runtime: s, timestamp: T0 + s, values: { epoch, acc } };
      }),
    );
  }
}

const visiblePanels = (page: Page) =>
  page.$$eval(".grid .panel[data-key]", (ps) =>
    ps
      .filter((p) => !(p as HTMLElement).hidden)
      .map((p) => (p as HTMLElement).dataset.key!)
      .sort(),
  );

/** The largest y axis label of a panel. */
const topLabel = (page: Page, key: string) =>
  page.$eval(`.grid .panel[data-key="${key}"]`, (p) =>
    Math.max(
      ...(p as HTMLElement).dataset
        .yLabels!.split("|")
        .map((l) => Number.parseFloat(l) * (/k$/.test(l) ? 1000 : 1)),
    ),
  );

const noBrowser = skipWithoutChromium("dashboard chart tool tests", chromiumBinary);

describe.skipIf(noBrowser)("dashboard: chart tools", () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await startSuite(fill);
  });
  afterAll(() => suite?.close());

  it("searches the panels by regex, kept in the address; a bad regex is said", async () => {
    const page = await suite.open("/p/tools?sel=t0,t1,t2");
    await page.waitForSelector('.grid .panel[data-key="val/acc"]');
    await page.waitForFunction(
      () => document.querySelectorAll(".grid .panel[data-key]").length === 5,
    );
    await page.fill('input[name="panels"]', "^VAL/");
    expect(await visiblePanels(page)).toEqual(["val/acc", "val/loss"]);
    expect(await page.textContent("#panel-count")).toBe("2 of 5 panels");
    expect(hashParams(page).get("panels")).toBe("^VAL/");
    await page.fill('input[name="panels"]', "loss(");
    expect(await page.textContent(".chart-tools [role=alert]")).toContain("panel search");
    expect(await visiblePanels(page)).toHaveLength(5);
    await suite.done(page);
    // Reloaded from the address, the search holds for panels drawn after it.
    const again = await suite.open("/p/tools?sel=t0,t1,t2&panels=acc%7Clr");
    await again.waitForFunction(
      () => document.querySelectorAll(".grid .panel[data-key]").length === 5,
    );
    expect(await visiblePanels(again)).toEqual(["lr", "val/acc"]);
    await suite.done(again);
  });

  it("puts a logged metric on x: each point at the epoch of its step", async () => {
    const page = await suite.open("/p/tools?sel=t1&keys=val/acc");
    const panel = '.grid .panel[data-key="val/acc"]';
    await page.waitForSelector(`${panel}[data-x-range]`);
    expect(await page.getAttribute(panel, "data-x-range")).toBe("0..99");
    await page.fill('input[name="xkey"]', "epoch");
    await page.press('input[name="xkey"]', "Enter");
    await page.waitForFunction(
      (sel) => document.querySelector<HTMLElement>(sel)?.dataset.xRange === "0..9",
      panel,
    );
    expect(hashParams(page).get("xkey")).toBe("epoch");
    await suite.done(page);
  });

  it("puts a logged metric on x of grouped charts too (binned by the server)", async () => {
    const page = await suite.open("/p/epochs?by=group&keys=acc");
    const panel = '.grid .panel[data-key="acc"]';
    await page.waitForSelector(`${panel}[data-series-count="2"][data-x-range]`);
    // By step: the slow runs' 200 steps.
    const range = async () =>
      (await page.getAttribute(panel, "data-x-range"))!.split("..").map(Number);
    expect((await range())[1]).toBeGreaterThan(190);
    await page.fill('input[name="xkey"]', "epoch");
    await page.press('input[name="xkey"]', "Enter");
    // By epoch: 0..9 (the last bucket's left edge just below 9), still one line per group.
    await page.waitForFunction(
      (sel) =>
        Number(document.querySelector<HTMLElement>(sel)?.dataset.xRange?.split("..")[1]) < 10,
      panel,
    );
    const [lo, hi] = await range();
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThan(8.5);
    expect(await page.getAttribute(panel, "data-series-count")).toBe("2");
    expect(hashParams(page).get("xkey")).toBe("epoch");
    await suite.done(page);
    // From the address: the grouped chart comes up against the epoch directly.
    const again = await suite.open("/p/epochs?by=group&keys=acc&xkey=epoch");
    await again.waitForSelector(`${panel}[data-series-count="2"][data-x-range]`);
    const hiAgain = Number((await again.getAttribute(panel, "data-x-range"))!.split("..")[1]);
    expect(hiAgain).toBeLessThan(10);
    await suite.done(again);
  });

  it("ignores outliers on the y scale when asked", async () => {
    const page = await suite.open("/p/tools?sel=t0,t1,t2&keys=loss");
    await page.waitForSelector('.grid .panel[data-key="loss"][data-y-labels]');
    expect(await topLabel(page, "loss")).toBeGreaterThanOrEqual(SPIKE / 2);
    await page.click('input[name="yclip"]');
    await page.waitForFunction(() => {
      const p = document.querySelector<HTMLElement>('.grid .panel[data-key="loss"]');
      return p?.dataset.yLabels && !/k|000/.test(p.dataset.yLabels);
    });
    expect(await topLabel(page, "loss")).toBeLessThan(5);
    expect(hashParams(page).get("yclip")).toBe("1");
    await suite.done(page);
  });

  it("scatters two summary values across the runs", async () => {
    const page = await suite.open("/p/tools?sel=t0&sx=loss&sy=acc");
    // Closed by default (nothing drawn); opened, it is drawn and stays open in the address.
    await page.waitForSelector(".summary-scatter-details summary");
    expect(await page.$(".summary-scatter")).toBeNull();
    await page.click(".summary-scatter-details summary");
    const scatter = await page.waitForSelector(".summary-scatter[data-points] canvas");
    expect(scatter).not.toBeNull();
    expect(await page.getAttribute(".summary-scatter", "data-points")).toBe("3");
    expect(await page.textContent(".summary-scatter h3")).toBe("summary: acc vs loss");
    await page.selectOption('select[name="sy"]', "epochs");
    await page.waitForSelector('.summary-scatter h3:text-is("summary: epochs vs loss")');
    expect(hashParams(page).get("sy")).toBe("epochs");
    expect(hashParams(page).get("scatter")).toBe("1");
    await suite.done(page);
  });
});
