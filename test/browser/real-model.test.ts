/**
 * The real-model example (`examples/tune-model/`: TPE tuning an MLP on Iris, tracked by the
 * W&B plugin) seen in the dashboard: the project page charts every trial's per-epoch curves,
 * the sweep views draw the trials, and a trial's run page charts its own curves.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type RunningServer } from "../../src/server/index.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { skipWithoutChromium } from "../skip.js";
import {
  buildDashboard,
  chromiumBinary,
  closeSuite,
  launchChromium,
  ROOT,
  screenshotPath,
} from "./browser.js";

/** Skipped without Chromium, with the reason printed; under CI=true a failure instead. */
const noBrowser = skipWithoutChromium("real-model browser test", chromiumBinary);

const exec = promisify(execFile);
const TRIALS = 8;
const EPOCHS = 10;
const CURVES = ["train_loss", "val_loss", "train_accuracy", "val_accuracy"];

/** Runs the example as a user runs it, tracked into `dir`. */
async function runExample(dir: string): Promise<void> {
  const script = join(ROOT, "examples", "tune-model", "tune-model.ts");
  await exec(process.execPath, ["--import", "tsx", script], {
    cwd: ROOT,
    env: {
      ...process.env,
      AMLTK_DIR: dir,
      MAX_TRIALS: String(TRIALS),
      WORKERS: "2",
      EPOCHS: String(EPOCHS),
    },
  });
}

describe.skipIf(noBrowser)("the real-model example's runs in the dashboard", () => {
  let dir: string;
  let webDir: string;
  let store: SqliteStore;
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "amltk-web-tune-"));
    [, webDir] = await Promise.all([runExample(dir), buildDashboard()]);
    store = await SqliteStore.open(dir);
    server = await createServer({ store, port: 0, host: "127.0.0.1", auth: false, webDir });
    browser = await launchChromium();
  });

  afterAll(() => closeSuite({ browser, server, store, dirs: [dir, webDir] }));

  it("charts every trial's per-epoch curves on the project page and draws the sweep", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${server.url}/#/p/tune-model`);
    await page.waitForFunction(
      (n) => document.querySelectorAll("tr[data-run-id]").length === n,
      TRIALS,
    );
    for (const key of CURVES) {
      await page.waitForSelector(`.panel[data-key="${key}"][data-series-count="${TRIALS}"]`);
    }
    await page.screenshot({ path: screenshotPath("real-model-curves"), fullPage: true });
    await page.click('button[data-view="hpo"]');
    await page.waitForSelector(".parcoords[data-lines]");
    const lines = Number(await page.getAttribute(".parcoords", "data-lines"));
    expect(lines).toBeGreaterThan(0);
    await page.screenshot({ path: screenshotPath("real-model-sweep"), fullPage: true });
    await page.close();
    expect(errors).toEqual([]);
  });

  it("charts a finished trial's curves, one point per epoch, on its run page", async () => {
    const { runs } = await store.listRuns({ project: "tune-model" });
    const finished = runs.find((r) => r.state === "finished");
    expect(finished, "at least one trial trained to the end").toBeDefined();
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${server.url}/#/run/${finished!.id}`);
    await page.waitForSelector('table[data-kv="config"]');
    expect(await page.textContent('table[data-kv="config"]')).toContain("learning_rate");
    for (const key of CURVES) {
      await page.waitForSelector(`.panel[data-key="${key}"][data-points="${EPOCHS}"]`);
    }
    await page.screenshot({ path: screenshotPath("real-model-run"), fullPage: true });
    await page.close();
  });
});
