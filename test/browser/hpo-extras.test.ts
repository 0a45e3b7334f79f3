/**
 * Issue 15, "Missing": the optuna-style sweep views in real Chromium: intermediate values per
 * trial with the pruned ones marked, a contour of the metric over two numeric parameters, and
 * the Pareto front of a two-objective sweep (checked against a brute-force dominance count).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqliteStore } from "../../src/store/sqlite/index.js";
import { skipWithoutChromium } from "../skip.js";
import { chromiumBinary, screenshotPath } from "./browser.js";
import { hashParams, type Suite, startSuite } from "./suite.js";

const T0 = 1_764_000_000;
const TRIALS = 20;
const PRUNED = [4, 9, 15];

/** Trial k's two objectives: cost falls and time rises with k's lr, with a twist, so a front forms. */
function objectives(k: number): { cost: number; time: number } {
  const lr = 10 ** (-4 + (k % 10) / 3);
  return {
    cost: Math.abs(Math.log10(lr) + 2) + (k % 3) / 10,
    time: 1 / (0.1 + Math.abs(Math.log10(lr) + 2)) + (k % 4) / 5,
  };
}

/** Trials with at least one other trial at least as good on both and better on one are dominated. */
function frontSize(points: { cost: number; time: number }[]): number {
  return points.filter(
    (p) =>
      !points.some(
        (q) => q.cost <= p.cost && q.time <= p.time && (q.cost < p.cost || q.time < p.time),
      ),
  ).length;
}

async function fill(store: SqliteStore): Promise<void> {
  for (let k = 0; k < TRIALS; k++) {
    const id = `h${String(k).padStart(2, "0")}`;
    const pruned = PRUNED.includes(k);
    await store.createRun({
      id,
      project: "mo",
      name: `trial-${k}`,
      config: {
        lr: 10 ** (-4 + (k % 10) / 3),
        momentum: 0.5 + (k % 7) / 20,
        opt: k % 2 ? "sgd" : "adam",
      },
      createdAt: (T0 + k) * 1000,
    });
    const steps = pruned ? 3 : 10;
    await store.appendHistory(
      id,
      Array.from({ length: steps }, (_, s) => ({
        step: s,
        runtime: s,
        timestamp: T0 + k + s,
        values: { "metric/cost": objectives(k).cost + 1 / (s + 1) },
      })),
    );
    const { cost, time } = objectives(k);
    await store.updateRun(id, {
      state: pruned ? "failed" : "finished",
      exitCode: pruned ? 1 : 0,
      summary: pruned
        ? { exception: "Pruned at step 3" }
        : { "metric/cost": cost, "metric/time": time },
    });
  }
}

const noBrowser = skipWithoutChromium("dashboard optuna-style sweep view tests", chromiumBinary);

describe.skipIf(noBrowser)("dashboard: intermediate values, contour, Pareto front", () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await startSuite(fill);
  });
  afterAll(() => suite?.close());

  it("draws every trial's intermediate values with the pruned ones counted", async () => {
    const page = await suite.open("/p/mo?view=hpo");
    const panel = await page.waitForSelector(".intermediate[data-trials] canvas");
    expect(panel).not.toBeNull();
    expect(await page.getAttribute(".intermediate", "data-trials")).toBe(String(TRIALS));
    expect(await page.getAttribute(".intermediate", "data-pruned")).toBe(String(PRUNED.length));
    expect(await page.textContent(".intermediate h3")).toContain("metric/cost");
    await page.screenshot({ path: screenshotPath("hpo-extras"), fullPage: true });
    await suite.done(page);
  });

  it("draws a contour over two numeric parameters, chosen in the address", async () => {
    const page = await suite.open("/p/mo?view=hpo");
    await page.waitForSelector(".contour canvas");
    expect(await page.getAttribute(".contour", "data-points")).toBe(String(TRIALS - PRUNED.length));
    expect(await page.textContent(".contour h3")).toContain("lr × momentum");
    // The categorical parameter is no contour axis.
    const options = await page.$$eval('select[name="contour x"] option', (o) =>
      o.map((e) => (e as HTMLOptionElement).value),
    );
    expect(options).toEqual(["lr", "momentum"]);
    await page.selectOption('select[name="contour x"]', "momentum");
    await page.waitForFunction(() =>
      document.querySelector(".contour h3")?.textContent?.includes("momentum ×"),
    );
    expect(hashParams(page).get("cx")).toBe("momentum");
    await suite.done(page);
  });

  it("marks the Pareto front of two objectives", async () => {
    const page = await suite.open("/p/mo?view=hpo&metric=metric/cost");
    await page.waitForSelector(".panel[data-front] canvas");
    const done = Array.from({ length: TRIALS }, (_, k) => k).filter((k) => !PRUNED.includes(k));
    expect(await page.getAttribute(".panel[data-front]", "data-points")).toBe(String(done.length));
    const expected = frontSize(done.map(objectives));
    expect(expected).toBeGreaterThan(1);
    expect(await page.getAttribute(".panel[data-front]", "data-front")).toBe(String(expected));
    // Maximizing the second objective makes another front.
    await page.selectOption('select[name="its direction"]', "max");
    await page.waitForFunction(() =>
      document.querySelector(".panel[data-front] h3")?.textContent?.includes("(max)"),
    );
    const flipped = frontSize(
      done.map((k) => ({ cost: objectives(k).cost, time: -objectives(k).time })),
    );
    expect(await page.getAttribute(".panel[data-front]", "data-front")).toBe(String(flipped));
    await suite.done(page);
  });
});
