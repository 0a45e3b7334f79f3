/**
 * Issue 15, "Missing": dark mode. The page follows the system's `prefers-color-scheme`
 * (live), a toggle overrides it (auto → dark → light) and the choice outlives a reload.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqliteStore } from "../../src/store/sqlite/index.js";
import { skipWithoutChromium } from "../skip.js";
import { chromiumBinary, screenshotPath } from "./browser.js";
import { type Suite, startSuite } from "./suite.js";

async function fill(store: SqliteStore): Promise<void> {
  await store.createRun({
    id: "d0",
    project: "dark",
    name: "run-0",
    config: { lr: 0.1 },
    createdAt: 1_764_000_000_000,
  });
  await store.appendHistory(
    "d0",
    Array.from({ length: 10 }, (_, s) => ({
      step: s,
      runtime: s,
      timestamp: s,
      values: { loss: 1 / (s + 1) },
    })),
  );
}

const theme = (page: Page) => page.getAttribute("html", "data-theme");
/** The page's background lightness, 0..255 (the mean of its RGB channels). */
const backgroundLightness = (page: Page) =>
  page.evaluate(() => {
    const rgb = getComputedStyle(document.documentElement)
      .backgroundColor.match(/\d+/g)!
      .map(Number);
    return (rgb[0]! + rgb[1]! + rgb[2]!) / 3;
  });

const noBrowser = skipWithoutChromium("dashboard dark mode tests", chromiumBinary);

describe.skipIf(noBrowser)("dashboard: dark mode", () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await startSuite(fill);
  });
  afterAll(() => suite?.close());

  it("follows the system scheme, live, until the toggle overrides it across reloads", async () => {
    const page = await suite.open("/p/dark?sel=d0&keys=loss");
    await page.emulateMedia({ colorScheme: "dark" });
    await page.waitForSelector('.panel[data-key="loss"] canvas');
    await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
    expect(await backgroundLightness(page)).toBeLessThan(64);
    await page.screenshot({ path: screenshotPath("dark-mode") });
    // The system turns light: so does the page (the choice is still "auto").
    await page.emulateMedia({ colorScheme: "light" });
    await page.waitForFunction(() => document.documentElement.dataset.theme === "light");
    expect(await backgroundLightness(page)).toBeGreaterThan(192);
    // Toggle: auto → dark, kept over a reload while the system says light.
    await page.click('button[name="theme"]');
    expect(await theme(page)).toBe("dark");
    await page.reload();
    await page.waitForSelector("tr[data-run-id]");
    expect(await theme(page)).toBe("dark");
    expect(await page.textContent('button[name="theme"]')).toContain("dark");
    // → light (against a dark system), → auto (the system again).
    await page.emulateMedia({ colorScheme: "dark" });
    await page.click('button[name="theme"]');
    expect(await theme(page)).toBe("light");
    await page.click('button[name="theme"]');
    expect(await theme(page)).toBe("dark");
    expect(await page.textContent('button[name="theme"]')).toContain("auto");
    await suite.done(page);
  });
});
