/**
 * Issue 15, "Missing": a run's name, tags and notes edited from the page, through the API.
 * On a keyless loopback server the edit is stored (finished runs included); on a server with
 * auth, a page without a write key is told why nothing was saved and the store is unchanged;
 * the table tags the selected runs.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeys } from "../../src/server/auth.js";
import { createServer, type RunningServer } from "../../src/server/index.js";
import type { SqliteStore } from "../../src/store/sqlite/index.js";
import { skipWithoutChromium } from "../skip.js";
import { buildDashboard, chromiumBinary } from "./browser.js";
import { type Suite, startSuite } from "./suite.js";

const T0 = 1_764_000_000;

/** Project "ed": three finished runs. */
async function fill(store: SqliteStore): Promise<void> {
  for (let k = 0; k < 3; k++) {
    await store.createRun({
      id: `e${k}`,
      project: "ed",
      name: `run-${k}`,
      tags: k === 0 ? ["base"] : [],
      config: { k },
      createdAt: (T0 + k) * 1000,
    });
    await store.updateRun(`e${k}`, { state: "finished", exitCode: 0 });
  }
}

const noBrowser = skipWithoutChromium("dashboard run editing tests", chromiumBinary);

describe.skipIf(noBrowser)("dashboard: editing runs", () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await startSuite(fill);
  });
  afterAll(() => suite?.close());

  it("renames a finished run and sets its tags and notes from the run page", async () => {
    const page = await suite.open("/run/e0");
    await page.waitForSelector(".run-head");
    await page.click(".run-edit summary");
    expect(await page.inputValue('input[name="edit-name"]')).toBe("run-0");
    expect(await page.inputValue('input[name="edit-tags"]')).toBe("base");
    await page.fill('input[name="edit-name"]', "renamed <b>run</b>");
    await page.fill('input[name="edit-tags"]', "base, best best  keep");
    await page.fill('textarea[name="edit-notes"]', "lr too high\nsecond line");
    await page.click('button[name="edit-save"]');
    await page.waitForSelector('.edit-status:text-is("saved")');
    const stored = await suite.store.getRun("e0");
    expect(stored).toMatchObject({
      name: "renamed <b>run</b>",
      tags: ["base", "best", "keep"],
      notes: "lr too high\nsecond line",
      state: "finished",
    });
    // The header shows the new name as text (no markup), and the new tags.
    expect(await page.textContent(".run-head h2")).toContain("renamed <b>run</b>");
    expect(await page.$$eval(".run-head .tag", (t) => t.map((e) => e.textContent))).toEqual([
      "base",
      "best",
      "keep",
    ]);
    await suite.done(page);
  });

  it("tags the selected runs from the table", async () => {
    const page = await suite.open("/p/ed?sel=e1,e2");
    await page.waitForSelector("tr[data-run-id]");
    page.once("dialog", (d) => void d.accept("pick"));
    await page.click('button[name="tag-selected"]');
    await page.waitForSelector('.actions-status:has-text("tagged 2")');
    expect((await suite.store.getRun("e1"))!.tags).toEqual(["pick"]);
    expect((await suite.store.getRun("e2"))!.tags).toEqual(["pick"]);
    expect((await suite.store.getRun("e0"))!.tags).not.toContain("pick");
    await suite.done(page);
  });

  describe("on a server with auth", () => {
    let server: RunningServer;
    let webDir: string;
    beforeAll(async () => {
      webDir = await buildDashboard();
      const keys = new ApiKeys(suite.store.db);
      server = await createServer({
        store: suite.store,
        port: 0,
        host: "127.0.0.1",
        auth: { keys },
        webDir,
      });
    });
    afterAll(async () => {
      await server?.close();
      if (webDir) rmSync(webDir, { recursive: true, force: true });
    });

    it("says a write key is needed and changes nothing without one", async () => {
      const page = await suite.browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${server.url}/#/run/e2`);
      await page.waitForSelector(".run-head");
      await page.click(".run-edit summary");
      await page.fill('input[name="edit-name"]', "should not stick");
      await page.click('button[name="edit-save"]');
      const status = await page.waitForSelector('.edit-status:has-text("not saved")');
      expect(await status.textContent()).toContain("write key");
      expect((await suite.store.getRun("e2"))!.name).toBe("run-2");
      await page.close();
      expect(errors).toEqual([]);
    });
  });
});
