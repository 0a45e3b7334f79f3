/**
 * The dashboard under its Content-Security-Policy (issue 10): a runs page and a run page load
 * with no console error and no CSP violation (inline app script and styles allowed by hash,
 * element styles set through the CSSOM, the favicon served), and a run whose config and
 * summary hold "__proto__" and "constructor" keys shows them as data without changing any
 * prototype in the page.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type RunningServer } from "../../src/server/index.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { skipWithoutChromium } from "../skip.js";
import { buildDashboard, chromiumBinary, closeSuite, launchChromium } from "./browser.js";

/** Skipped without Chromium, with the reason printed; under CI=true a failure instead. */
const noBrowser = skipWithoutChromium("CSP browser test", chromiumBinary);

/** Keys as stored JSON brings them back: own properties named "__proto__" and "constructor". */
const hostile = (extra: Record<string, unknown>) => ({
  ...JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": "ctor-value"}'),
  ...extra,
});

describe.skipIf(noBrowser)("dashboard under its CSP", () => {
  let dir: string;
  let webDir: string;
  let store: SqliteStore;
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "amltk-web-csp-"));
    webDir = await buildDashboard();
    store = await SqliteStore.open(dir);
    store.createRunSync({
      id: "proto1",
      project: "safe",
      name: "proto-run",
      createdAt: Date.now(),
      config: hostile({ lr: 0.1 }),
    });
    store.updateRunSync("proto1", { summary: hostile({ loss: 0.5 }), state: "finished" });
    server = await createServer({ store, port: 0, webDir });
    browser = await launchChromium();
  });

  afterAll(() => closeSuite({ browser, server, store, dirs: [dir, webDir] }));

  /** A page that records console errors, script errors, CSP violations and failed loads. */
  async function open(hash: string): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("response", (r) => {
      if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
    });
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => {
        console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    await page.goto(`${server.url}/#${hash}`);
    return { page, problems };
  }

  it("loads the runs page and the favicon with no console error", async () => {
    const { page, problems } = await open("/p/safe");
    await page.waitForSelector('tr[data-run-id="proto1"]');
    // The page names its icon (so no browser asks for a missing /favicon.ico), and it is served.
    const href = await page.getAttribute('link[rel="icon"]', "href");
    expect(href).toMatch(/favicon/);
    expect(await page.evaluate(async (h) => (await fetch(h!)).status, href)).toBe(200);
    const res = await page.request.get(server.url);
    expect(res.headers()["content-security-policy"]).toMatch(/script-src 'self' 'sha256-/);
    await page.close();
    expect(problems).toEqual([]);
  });

  it("shows __proto__ and constructor keys as data and pollutes nothing", async () => {
    const { page, problems } = await open("/run/proto1");
    await page.waitForSelector('table[data-kv="summary"]');
    const keys = (kv: string) =>
      page.$$eval(`table[data-kv="${kv}"] th.kv-k`, (ths) => ths.map((t) => t.textContent));
    // Nested config is shown as dotted keys, as the runs table names them.
    expect(await keys("config")).toEqual(
      expect.arrayContaining(["__proto__.polluted", "constructor", "lr"]),
    );
    expect(await keys("summary")).toEqual(
      expect.arrayContaining(["__proto__", "constructor", "loss"]),
    );
    expect(await page.textContent('table[data-kv="summary"]')).toContain("ctor-value");
    const polluted = await page.evaluate(() => ({
      plain: ({} as { polluted?: unknown }).polluted,
      proto: (Object.prototype as { polluted?: unknown }).polluted,
    }));
    expect(polluted).toEqual({ plain: undefined, proto: undefined });
    await page.close();
    expect(problems).toEqual([]);
  });
});
