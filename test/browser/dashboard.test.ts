/**
 * The dashboard in real Chromium against a real server over a real SQLite store filled by the
 * tracker: runs appear in the table, a chart draws one series per selected run (one per group
 * when grouped), a filter narrows the table, a run logging while the page is open shows up
 * without a reload. Screenshots go to test-artifacts/.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "../../src/server/index.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { init } from "../../src/track/index.js";
import { skipWithoutChromium } from "../skip.js";
import {
  buildDashboard,
  chromiumBinary,
  closeSuite,
  launchChromium,
  screenshotPath,
} from "./browser.js";

const MANY = 260;

interface Made {
  id: string;
  x: number;
  group: string;
  opt: string;
}

/** Six finished runs in two groups, each logging `loss` and `acc` for 20 steps. */
async function fillStore(dir: string): Promise<Made[]> {
  const made: Made[] = [];
  for (let i = 0; i < 6; i++) {
    const x = (i + 1) / 10;
    const group = i % 2 === 0 ? "even" : "odd";
    const run = await init({
      project: "demo",
      dir,
      name: `trial-${i}`,
      group,
      tags: i === 0 ? ["baseline"] : [],
      config: { x, y: 1 - x, opt: i < 3 ? "adam" : "sgd" },
      systemInterval: 0,
      reinit: "create_new",
    });
    for (let s = 0; s < 20; s++) run.log({ loss: (1 + x) / (s + 1), acc: x * s });
    run.summary.cost = 2 * x;
    await run.finish();
    made.push({ id: run.id, x, group, opt: i < 3 ? "adam" : "sgd" });
  }
  return made;
}

/** Skipped without Chromium, with the reason printed; under CI=true a failure instead. */
const noBrowser = skipWithoutChromium("dashboard browser tests", chromiumBinary);

describe.skipIf(noBrowser)("dashboard in Chromium", () => {
  let dir: string;
  let webDir: string;
  let store: SqliteStore;
  let server: Awaited<ReturnType<typeof createServer>>;
  let base: string;
  let browser: Browser;
  let made: Made[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "amltk-web-"));
    const [runs, built] = await Promise.all([fillStore(dir), buildDashboard()]);
    webDir = built;
    made = runs;
    store = await SqliteStore.open(dir);
    // A project larger than the first page (100 runs) and than the unwindowed table (60 rows).
    for (let i = 0; i < MANY; i++) {
      store.createRunSync({
        id: `many${String(i).padStart(4, "0")}`,
        project: "many",
        name: `m-${i}`,
        createdAt: 1_700_000_000_000 + i * 1000,
        config: { i },
      });
    }
    // System metrics and console lines for one run, as the tracker's sampler and capture write them.
    const t0 = Date.now() / 1000;
    await store.appendSystem(
      made[1]!.id,
      [0, 1, 2, 3].map((i) => ({
        timestamp: t0 + i,
        values: { "system/cpu": 10 * i, "system/rss_mib": 100 + i },
      })),
    );
    await store.appendConsole(made[1]!.id, [
      { stream: "stdout", timestamp: t0, text: "epoch 1 done" },
      { stream: "stderr", timestamp: t0 + 1, text: "warning: lr high" },
    ]);
    server = await createServer({ store, port: 0, host: "127.0.0.1", auth: false, webDir });
    base = server.url;
    browser = await launchChromium();
  });

  afterAll(() => closeSuite({ browser, server, store, dirs: [dir, webDir] }));

  const pageErrors = new WeakMap<Page, string[]>();

  async function open(hash: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    pageErrors.set(page, errors);
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${base}/#${hash}`);
    return page;
  }

  /** Closes a page after checking that no script error happened on it. */
  async function done(page: Page): Promise<void> {
    const errors = pageErrors.get(page) ?? [];
    await page.close();
    expect(errors).toEqual([]);
  }

  const rowIds = (page: Page) =>
    page.$$eval("tr[data-run-id]", (rows) => rows.map((r) => (r as HTMLElement).dataset.runId));

  it("lists the project and its runs in the table", async () => {
    const page = await open("/");
    await page.waitForSelector('tr[data-project="demo"]');
    expect(await page.textContent('tr[data-project="demo"]')).toContain("6");
    await page.click('tr[data-project="demo"] a');
    await page.waitForFunction(() => document.querySelectorAll("tr[data-run-id]").length === 6);
    expect(new Set(await rowIds(page))).toEqual(new Set(made.map((m) => m.id)));
    // Default columns come from config and summary.
    const headers = await page.$$eval("th[data-col]", (ths) =>
      ths.map((t) => (t as HTMLElement).dataset.col),
    );
    expect(headers).toEqual(expect.arrayContaining(["config.x", "summary.cost"]));
    expect(await page.textContent(`tr[data-run-id="${made[0]!.id}"] .badge`)).toBe("finished");
    await page.screenshot({ path: screenshotPath("runs-table"), fullPage: true });
    await done(page);
  });

  it("draws one series per selected run, and a mean line per group when grouped", async () => {
    const sel = made.slice(0, 3).map((m) => m.id);
    const page = await open(`/p/demo?sel=${sel.join(",")}`);
    await page.waitForSelector('.panel[data-key="loss"][data-series-count="3"] canvas');
    await page.waitForSelector('.panel[data-key="acc"][data-series-count="3"]');
    expect(await page.getAttribute('.panel[data-key="loss"]', "data-points")).toBe("20");
    await page.screenshot({ path: screenshotPath("charts"), fullPage: true });
    // Select all six, then group by `group`: two groups, two mean lines.
    await page.check('input[aria-label="select all"]');
    await page.waitForSelector('.panel[data-key="loss"][data-series-count="6"]');
    await page.selectOption('select[name="by"]', "group");
    await page.waitForSelector('.panel[data-key="loss"][data-series-count="2"]');
    expect(await page.$$eval("tr.group-row", (rs) => rs.length)).toBe(2);
    await page.screenshot({ path: screenshotPath("charts-grouped"), fullPage: true });
    await done(page);
  });

  it("asks for the runs and the default charts (by runs query) once, before the app loads", async () => {
    const bodies: { runs?: string[]; runsQuery?: string; keys: string[]; fields?: string[] }[] = [];
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    let runLists = 0;
    page.on("request", (r) => {
      if (r.url().endsWith("/api/series")) bodies.push(JSON.parse(r.postData() ?? "{}"));
      if (r.url().includes("/api/runs?")) runLists++;
    });
    // Records which of index.html's early requests the app took (a get of a present key).
    await page.addInitScript(() => {
      const w = window as unknown as Record<string, unknown>;
      const hits: string[] = [];
      w.earlyHits = hits;
      let early: object | undefined;
      Object.defineProperty(window, "__amltkEarly", {
        configurable: true,
        get: () => early,
        set: (v: Record<string, unknown>) => {
          early = new Proxy(v, {
            get: (t, k) => {
              if (typeof k === "string" && k in t) hits.push(k.split("\n")[0]!);
              return t[k as string];
            },
          });
        },
      });
    });
    await page.goto(`${base}/#/p/demo?top=3&keys=loss,acc`);
    await page.waitForSelector('.panel[data-key="loss"][data-series-count="3"] canvas');
    await page.waitForSelector('.panel[data-key="acc"][data-series-count="3"] canvas');
    // The three newest runs (the table's first rows) are the ones charted.
    expect(await page.getAttribute('.panel[data-key="loss"]', "data-points")).toBe("20");
    expect(bodies.map((b) => b.keys.join()).sort()).toEqual(["acc", "loss"]);
    for (const b of bodies) {
      expect(b.runs).toBeUndefined();
      expect(new URLSearchParams(b.runsQuery).get("limit")).toBe("3");
    }
    // index.html started these before the app loaded, and the app used them: no request twice.
    expect(runLists).toBe(1);
    await page.waitForFunction(() => !("__amltkEarly" in window));
    const hits = await page.evaluate(
      () => (window as unknown as { earlyHits: string[] }).earlyHits,
    );
    expect(hits.sort()).toEqual([
      "runs?project=demo&sort=-createdAt&limit=100",
      "series",
      "series",
    ]);
    await page.close();
  });

  it("hovers values, zooms, and redraws for smoothing, log scale and x mode", async () => {
    const sel = made.slice(0, 2).map((m) => m.id);
    const page = await open(`/p/demo?sel=${sel.join(",")}&keys=loss`);
    const panel = '.panel[data-key="loss"]';
    await page.waitForSelector(`${panel}[data-series-count="2"] .u-over`);
    const box = (await page.$(`${panel} .u-over`))!;
    const b = (await box.boundingBox())!;
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
    await page.waitForSelector(`${panel} .tip:not([hidden])`);
    expect(await page.textContent(`${panel} .tip`)).toContain("trial-0");
    // Drag across the middle third: uPlot zooms the x scale to it.
    await page.mouse.move(b.x + b.width / 3, b.y + 20);
    await page.mouse.down();
    await page.mouse.move(b.x + (2 * b.width) / 3, b.y + 20, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction((sel) => {
      const [lo, hi] = (document.querySelector(sel) as HTMLElement).dataset
        .xRange!.split("..")
        .map(Number);
      return lo! > 3 && hi! < 16;
    }, panel);
    await page.screenshot({ path: screenshotPath("zoom-hover") });
    await page.$eval('input[name="smooth"]', (el) => {
      (el as HTMLInputElement).value = "0.8";
      el.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await page.waitForFunction(() => location.hash.includes("smooth=0.8"));
    await page.check('input[name="log"]');
    await page.waitForFunction(() => location.hash.includes("log=1"));
    await page.selectOption('select[name="x"]', "relative");
    await page.waitForFunction(() => location.hash.includes("x=relative"));
    await page.waitForSelector(`${panel}[data-series-count="2"] canvas`);
    await done(page);
  });

  it("sorts by a column and hides a column", async () => {
    const page = await open("/p/demo");
    await page.waitForFunction(() => document.querySelectorAll("tr[data-run-id]").length >= 6);
    await page.click('th[data-col="config.x"]');
    await page.waitForFunction(() => location.hash.includes("sort=-config.x"));
    const byX = made.slice().sort((a, b) => b.x - a.x)[0]!;
    await page.waitForFunction(
      (id) => (document.querySelector("tr[data-run-id]") as HTMLElement).dataset.runId === id,
      byX.id,
    );
    await page.click("details.columns summary");
    await page.uncheck('input[name="col:config.y"]');
    await page.waitForSelector('th[data-col="config.y"]', { state: "detached" });
    expect(await page.$('th[data-col="config.x"]')).not.toBeNull();
    await done(page);
  });

  it("loads a large project in two steps and renders only the rows in view", async () => {
    const page = await open("/p/many");
    await page.waitForSelector(`table.runs[data-rows="${MANY}"]`);
    expect(await page.textContent("#run-count")).toBe(`${MANY} of ${MANY} runs`);
    const rendered = await page.$$eval("tr[data-run-id]", (rs) => rs.length);
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(MANY);
    // Newest first; scrolling to the bottom brings the oldest run in.
    expect(await page.getAttribute("tr[data-run-id]", "data-run-id")).toBe(
      `many${String(MANY - 1).padStart(4, "0")}`,
    );
    await page.$eval(".table-wrap", (el) => el.scrollTo(0, el.scrollHeight));
    await page.waitForSelector('tr[data-run-id="many0000"]');
    await done(page);
    // A smaller limit leaves runs out; the header offers the rest.
    const limited = await open("/p/many?limit=200");
    await limited.waitForSelector('#run-count:has-text("200 of 260 runs")');
    await limited.click('button[name="more"]');
    await limited.waitForSelector(`table.runs[data-rows="${MANY}"]`);
    expect(await limited.isHidden('button[name="more"]')).toBe(true);
    await done(limited);
  });

  it("narrows the table with a filter", async () => {
    const page = await open("/p/demo");
    await page.waitForFunction(() => document.querySelectorAll("tr[data-run-id]").length === 6);
    // A tag narrows the table: only trial-0 carries "baseline".
    await page.selectOption('select[name="tag"]', "baseline");
    await page.waitForFunction(() => document.querySelectorAll("tr[data-run-id]").length === 1);
    expect(await rowIds(page)).toEqual([made[0]!.id]);
    await page.selectOption('select[name="tag"]', "");
    await page.waitForFunction(() => document.querySelectorAll("tr[data-run-id]").length === 6);
    const text = "x > 0.15; opt = adam";
    await page.fill('input[name="f"]', text);
    await page.press('input[name="f"]', "Enter");
    const expected = made.filter((m) => m.x > 0.15 && m.opt === "adam").map((m) => m.id);
    expect(expected.length).toBe(2);
    await page.waitForFunction(
      (n) => document.querySelectorAll("tr[data-run-id]").length === n,
      expected.length,
    );
    expect(new Set(await rowIds(page))).toEqual(new Set(expected));
    // The filter is part of the URL: a reload or a shared link keeps it.
    const hash = new URL(page.url()).hash;
    expect(new URLSearchParams(hash.slice(hash.indexOf("?") + 1)).get("f")).toBe(text);
    await done(page);
  });

  it("shows a bad filter's error without querying", async () => {
    const page = await open("/p/demo");
    await page.waitForFunction(() => document.querySelectorAll("tr[data-run-id]").length === 6);
    await page.fill('input[name="f"]', "x 0.3");
    await page.press('input[name="f"]', "Enter");
    await page.waitForSelector('[role="alert"]:has-text("no operator")');
    expect((await rowIds(page)).length).toBe(6);
    await done(page);
  });

  it("updates a live run's row and chart without a reload", async () => {
    const page = await open("/p/demo?top=1&keys=loss");
    await page.waitForFunction(() => document.querySelectorAll("tr[data-run-id]").length === 6);
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });
    const run = await init({
      project: "demo",
      dir,
      name: "live-run",
      config: { x: 0.9, y: 0.1, opt: "adam" },
      systemInterval: 0,
      reinit: "create_new",
    });
    try {
      for (let s = 0; s < 5; s++) run.log({ loss: 1 / (s + 1) });
      await run.flush();
      // The newest run sorts first and `top=1` charts it.
      await page.waitForSelector(`tr[data-run-id="${run.id}"] .badge:has-text("running")`);
      await page.waitForSelector('.panel[data-key="loss"][data-points="5"]');
      for (let s = 5; s < 12; s++) run.log({ loss: 1 / (s + 1) });
      await run.flush();
      await page.waitForSelector('.panel[data-key="loss"][data-points="12"]');
      await run.finish();
      await page.waitForSelector(`tr[data-run-id="${run.id}"] .badge:has-text("finished")`);
      expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
      await page.screenshot({ path: screenshotPath("live"), fullPage: true });
    } finally {
      if (!run.finished) await run.finish();
    }
    await done(page);
  });

  it("updates a live run's page: charts, summary and state", async () => {
    const run = await init({
      project: "demo",
      dir,
      name: "live-page",
      config: { x: 0.5, y: 0.5, opt: "sgd" },
      systemInterval: 0,
      reinit: "create_new",
    });
    try {
      run.log({ loss: 1 });
      await run.flush();
      const page = await open(`/run/${run.id}`);
      await page.waitForSelector('.run-head .badge:has-text("running")');
      await page.waitForSelector('.panel[data-key="loss"][data-points="1"]');
      for (let s = 1; s < 8; s++) run.log({ loss: 1 / (s + 1), acc: s });
      await run.flush();
      await page.waitForSelector('.panel[data-key="loss"][data-points="8"]');
      await page.waitForSelector('.panel[data-key="acc"]');
      run.summary.cost = 0.125;
      await run.finish();
      await page.waitForSelector('.run-head .badge:has-text("finished")');
      await page.waitForSelector('table[data-kv="summary"] :text("0.125")');
      await done(page);
    } finally {
      if (!run.finished) await run.finish();
    }
  });

  it("shows a run's page: state, config, summary, history charts, console", async () => {
    const m = made[1]!;
    const page = await open(`/run/${m.id}`);
    await page.waitForSelector('table[data-kv="config"]');
    expect(await page.textContent('table[data-kv="config"]')).toContain("opt");
    expect(await page.textContent('table[data-kv="summary"]')).toContain("cost");
    expect(await page.textContent(".run-head .badge")).toBe("finished");
    expect(await page.textContent('dd[data-field="group"]')).toBe(m.group);
    await page.waitForSelector('.panel[data-key="loss"][data-series-count="1"]');
    await page.waitForSelector('.panel[data-key="system/cpu"][data-points="4"]');
    await page.waitForSelector('pre.console :text("epoch 1 done")');
    expect(await page.textContent("pre.console .err")).toContain("warning: lr high");
    await page.screenshot({ path: screenshotPath("run-page"), fullPage: true });
    await done(page);
  });

  it("draws the sweep views over the runs' configs and cost", async () => {
    const page = await open("/p/demo?view=hpo&metric=cost&f=opt+%3D+adam");
    await page.waitForSelector(".parcoords[data-lines]");
    // The three adam runs: x and y vary, opt is constant (left out), plus the cost axis.
    expect(await page.getAttribute(".parcoords", "data-lines")).toBe("3");
    expect(await page.getAttribute(".parcoords", "data-axes")).toBe("3");
    await page.waitForSelector('.panel[data-key^="best cost"] canvas');
    expect(await page.textContent(".hpo")).toContain(`best cost: 0.2`);
    // cost = 2x: x decides the cost completely.
    expect(await page.getAttribute('.imp-row[data-param="x"]', "data-importance")).toBe("1.000");
    // Brush the bottom 40% of the cost axis (costs 0.2..0.6): only the 0.2 run stays.
    const box = (await (await page.$(".parcoords canvas"))!.boundingBox())!;
    const axisX = box.x + box.width - 60;
    await page.mouse.move(axisX, box.y + 282);
    await page.mouse.down();
    await page.mouse.move(axisX, box.y + 280 - 0.4 * 240, { steps: 4 });
    await page.mouse.up();
    expect(await page.getAttribute(".parcoords", "data-selected")).toBe("1");
    await page.screenshot({ path: screenshotPath("sweep"), fullPage: true });
    await done(page);
  });
});
