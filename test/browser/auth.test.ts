/**
 * A server that needs a key for reads (`amltk ui --auth-reads`): the dashboard asks for the
 * key, keeps it in the browser, and sends it with every request and on the live stream.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeys, createServer, type RunningServer } from "../../src/server/index.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { skipWithoutChromium } from "../skip.js";
import { buildDashboard, chromiumBinary, closeSuite, launchChromium } from "./browser.js";

/** Skipped without Chromium, with the reason printed; under CI=true a failure instead. */
const noBrowser = skipWithoutChromium("auth browser test", chromiumBinary);

describe.skipIf(noBrowser)("dashboard against a server with read auth", () => {
  let dir: string;
  let webDir: string;
  let store: SqliteStore;
  let server: RunningServer;
  let browser: Browser;
  let key: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "amltk-web-auth-"));
    webDir = await buildDashboard();
    store = await SqliteStore.open(dir);
    store.createRunSync({
      id: "locked1",
      project: "secret",
      name: "locked-run",
      createdAt: Date.now(),
    });
    const keys = new ApiKeys(store.db);
    key = keys.create("browser-test").key;
    server = await createServer({ store, port: 0, auth: { reads: true, keys }, webDir });
    browser = await launchChromium();
  });

  afterAll(() => closeSuite({ browser, server, store, dirs: [dir, webDir] }));

  it("asks for a key, rejects a wrong one, and shows the runs with the right one", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${server.url}/#/p/secret`);
    await page.waitForSelector('form [role="alert"]:has-text("needs an API key")');
    await page.fill('input[name="apiKey"]', "amltk_wrong_key");
    await page.click('button[type="submit"]');
    await page.waitForSelector('input[name="apiKey"]');
    expect(await page.$("tr[data-run-id]")).toBeNull();
    await page.fill('input[name="apiKey"]', key);
    await page.click('button[type="submit"]');
    await page.waitForSelector('tr[data-run-id="locked1"]');
    // The live stream authenticates with the key as a query parameter.
    await page.waitForSelector('#live[data-state="on"]');
    await page.close();
    expect(errors).toEqual([]);
  });
});
