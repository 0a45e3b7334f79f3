/**
 * Issue 15, "Missing": run comparison, export from the page, saved views, in real Chromium.
 * The comparison shows the chosen runs side by side with differing rows marked; the table's
 * CSV has its rows and columns at full precision; a panel exports its lines as CSV and its
 * canvas as PNG; a view saved under a name is kept by the server and opens elsewhere.
 */
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqliteStore } from "../../src/store/sqlite/index.js";
import { skipWithoutChromium } from "../skip.js";
import { chromiumBinary, screenshotPath } from "./browser.js";
import { hashParams, type Suite, startSuite } from "./suite.js";

const T0 = 1_764_000_000;
/** lr values whose 4-digit display hides the difference of the last two. */
const LRS = [0.001, 0.003, 0.0123456789, 0.0123456781];

/** Project "cmp": 4 runs, same optimizer, lr apart; run 3 alone has `momentum`; each logs loss. */
async function fill(store: SqliteStore): Promise<void> {
  for (const [k, lr] of LRS.entries()) {
    const id = `c${k}`;
    await store.createRun({
      id,
      project: "cmp",
      name: `run-${k}`,
      config: { lr, opt: "adam", ...(k === 3 ? { momentum: 0.9 } : {}) },
      createdAt: (T0 + k) * 1000,
    });
    await store.appendHistory(
      id,
      Array.from({ length: 20 }, (_, s) => ({
        step: s,
        runtime: s,
        timestamp: T0 + k + s,
        values: { loss: (k + 1) / (s + 1) },
      })),
    );
    await store.updateRun(id, { state: "finished", exitCode: 0, summary: { loss: (k + 1) / 20 } });
  }
  // A run of another project (run ids are global: a comparison may name it).
  await store.createRun({ id: "o1", project: "other", name: "elsewhere", createdAt: T0 * 1000 });
  // Two runs of 80 config values each: more rows than the first paint draws.
  for (const id of ["w1", "w2"]) {
    const config = Object.fromEntries(Array.from({ length: 80 }, (_, j) => [`p${j}`, j]));
    await store.createRun({ id, project: "wide", name: id, config, createdAt: T0 * 1000 });
  }
}

/** The text of the file the page downloads when `click` runs. */
async function downloadOf(
  page: Page,
  click: () => Promise<void>,
): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent("download"), click()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), bytes: await readFile(path) };
}

const noBrowser = skipWithoutChromium("dashboard comparison and export tests", chromiumBinary);

describe.skipIf(noBrowser)("dashboard: comparison, export, saved views", () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await startSuite(fill);
  });
  afterAll(() => suite?.close());

  it("compares the selected runs side by side with differing rows marked", async () => {
    const page = await suite.open("/p/cmp?sel=c0,c1,c3");
    await page.waitForSelector("tr[data-run-id]");
    await page.click('button[name="compare"]');
    await page.waitForSelector("table.compare");
    const params = hashParams(page);
    expect(params.get("ids")!.split(",").sort()).toEqual(["c0", "c1", "c3"]);
    const heads = await page.$$eval("table.compare th[data-run-id]", (ths) =>
      ths.map((t) => (t as HTMLElement).dataset.runId),
    );
    expect(heads.sort()).toEqual(["c0", "c1", "c3"]);
    const differs = (key: string) => page.getAttribute(`tr[data-key="${key}"]`, "data-differs");
    expect(await differs("config.lr")).toBe("1");
    expect(await differs("config.opt")).toBe("0");
    // A key only one run has differs (the others show a dash).
    expect(await differs("config.momentum")).toBe("1");
    expect(await differs("summary.loss")).toBe("1");
    await page.screenshot({ path: screenshotPath("compare") });
    // Only differences: equal rows go, and the choice is in the address.
    await page.click('input[name="only-diff"]');
    expect(await page.$('tr[data-key="config.opt"]')).toBeNull();
    expect(await page.$('tr[data-key="config.lr"]')).not.toBeNull();
    expect(hashParams(page).get("diff")).toBe("1");
    await suite.done(page);
  });

  it("loads the compared runs in one request, started before the app's script runs", async () => {
    const page = await suite.open("/p/cmp/compare?ids=c3,c0,c1");
    await page.waitForSelector("table.compare th[data-run-id]");
    const heads = await page.$$eval("table.compare th[data-run-id]", (ths) =>
      ths.map((t) => (t as HTMLElement).dataset.runId),
    );
    // In the order asked, whatever order the server answers in.
    expect(heads).toEqual(["c3", "c0", "c1"]);
    const [requests, appStart] = await page.evaluate(() => [
      performance
        .getEntriesByType("resource")
        .filter((e) => new URL(e.name).pathname.includes("/api/runs"))
        .map((e) => ({ url: e.name, start: e.startTime })),
      performance.getEntriesByName("amltk:app-start")[0]!.startTime,
    ]);
    expect(requests).toHaveLength(1);
    expect(new URL(requests[0]!.url).searchParams.get("filter")).toContain('"op":"in"');
    // index.html's early request: sent before the app's script started.
    expect(requests[0]!.start).toBeLessThan(appStart);
    await suite.done(page);
  });

  it("draws every row of a long comparison, those below the fold right after the first paint", async () => {
    const page = await suite.open("/p/wide/compare?ids=w1,w2");
    await page.waitForSelector('table.compare[data-complete="1"]');
    // 5 run fields and 80 config values.
    expect(await page.$$("table.compare tr[data-key]")).toHaveLength(85);
    expect(await page.$('tr[data-key="config.p79"]')).not.toBeNull();
    await suite.done(page);
  });

  it("compares a run of another project named by id", async () => {
    const page = await suite.open("/p/cmp/compare?ids=c0,o1");
    await page.waitForSelector('table.compare th[data-run-id="o1"]');
    expect(await page.$$("table.compare th[data-run-id]")).toHaveLength(2);
    expect(await page.$('[role="alert"]')).toBeNull();
    await suite.done(page);
  });

  it("says which runs it could not find", async () => {
    const page = await suite.open("/p/cmp/compare?ids=c0,nope");
    const alert = await page.waitForSelector('[role="alert"]');
    expect(await alert.textContent()).toContain("nope");
    expect(await page.$$("table.compare th[data-run-id]")).toHaveLength(1);
    await suite.done(page);
  });

  it("exports the table's rows and columns as CSV at full precision", async () => {
    const page = await suite.open("/p/cmp?cols=config.lr,summary.loss&f=opt%20%3D%20adam");
    await page.waitForSelector("tr[data-run-id]");
    const { name, bytes } = await downloadOf(page, () => page.click('button[name="export-table"]'));
    expect(name).toBe("cmp-runs.csv");
    const lines = bytes.toString("utf8").trimEnd().split("\r\n");
    expect(lines[0]).toBe("id,name,state,config.lr,summary.loss");
    expect(lines).toHaveLength(1 + LRS.length);
    // Full precision: the two lr values the table shows alike are apart in the file.
    expect(lines.some((l) => l.includes("0.0123456789"))).toBe(true);
    expect(lines.some((l) => l.includes("0.0123456781"))).toBe(true);
    await suite.done(page);
  });

  it("exports a chart panel as CSV and PNG", async () => {
    const page = await suite.open("/p/cmp?sel=c0,c1&keys=loss");
    const panel = '.panel[data-key="loss"]';
    await page.waitForSelector(`${panel} canvas`);
    const csv = await downloadOf(page, () => page.click(`${panel} button[name="export-csv"]`));
    expect(csv.name).toBe("loss.csv");
    const lines = csv.bytes.toString("utf8").trimEnd().split("\r\n");
    expect(lines[0]!.split(",")[0]).toBe("x");
    expect(lines[0]!.split(",").length).toBeGreaterThanOrEqual(3); // x and one column per run
    expect(lines.length).toBe(1 + 20);
    const png = await downloadOf(page, () => page.click(`${panel} button[name="export-png"]`));
    expect(png.name).toBe("loss.png");
    expect([...png.bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    await suite.done(page);
  });

  it("saves a view by name on the server and opens it on another page", async () => {
    const page = await suite.open("/p/cmp?cols=config.lr&f=lr%20%3E%200.002");
    await page.waitForSelector("tr[data-run-id]");
    page.once("dialog", (d) => void d.accept("small lr"));
    await page.click('button[name="save-view"]');
    await page.waitForSelector('select[name="saved-view"] option[value="small lr"]', {
      state: "attached",
    });
    const api = await fetch(`${suite.base}/api/projects/cmp/views/small%20lr`);
    expect(api.status).toBe(200);
    expect(new URLSearchParams(((await api.json()) as { state: string }).state).get("f")).toBe(
      "lr > 0.002",
    );
    await suite.done(page);

    const other = await suite.open("/p/cmp");
    await other.waitForSelector('select[name="saved-view"] option[value="small lr"]', {
      state: "attached",
    });
    await other.selectOption('select[name="saved-view"]', "small lr");
    await other.waitForFunction(() => location.hash.includes("f="));
    expect(hashParams(other).get("f")).toBe("lr > 0.002");
    expect(hashParams(other).get("cols")).toBe("config.lr");
    await other.waitForFunction(() => document.querySelectorAll("tr[data-run-id]").length === 3);
    // Delete it: the server forgets it.
    await other.waitForSelector('select[name="saved-view"] option[value="small lr"]', {
      state: "attached",
    });
    await other.selectOption('select[name="saved-view"]', "small lr");
    other.once("dialog", (d) => void d.accept());
    await other.click('button[name="delete-view"]');
    await other.waitForSelector('.views-status:has-text("deleted")');
    expect(await other.textContent(".views-status")).toBe('deleted "small lr"');
    expect((await fetch(`${suite.base}/api/projects/cmp/views/small%20lr`)).status).toBe(404);
    await suite.done(other);
  });
});
