/**
 * One browser suite's parts: a fresh dashboard build, a real SQLite store in a temp folder
 * (filled by the suite), a real server on 127.0.0.1 and one Chromium for every test of the
 * file; pages that record their script errors, which `done` checks.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { expect } from "vitest";
import { createServer } from "../../src/server/index.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { buildDashboard, closeSuite, launchChromium } from "./browser.js";

export interface Suite {
  dir: string;
  store: SqliteStore;
  base: string;
  browser: Browser;
  /** A page at `#<hash>` (1280x900 unless `width` is given), recording script errors. */
  open(hash: string, width?: number): Promise<Page>;
  /** Closes the page after checking that no script error happened on it. */
  done(page: Page): Promise<void>;
  close(): Promise<void>;
}

/** Starts a suite; `fill` writes the store before the server starts. */
export async function startSuite(
  fill: (store: SqliteStore, dir: string) => Promise<void>,
): Promise<Suite> {
  const dir = mkdtempSync(join(tmpdir(), "amltk-web-"));
  const parts: Parameters<typeof closeSuite>[0] = { dirs: [dir] };
  try {
    const store = await SqliteStore.open(dir);
    parts.store = store;
    const [webDir] = await Promise.all([buildDashboard(), fill(store, dir)]);
    parts.dirs.push(webDir);
    const server = await createServer({ store, port: 0, host: "127.0.0.1", auth: false, webDir });
    parts.server = server;
    const browser = await launchChromium();
    parts.browser = browser;
    const errors = new WeakMap<Page, string[]>();
    return {
      dir,
      store,
      base: server.url,
      browser,
      async open(hash, width = 1280) {
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        const list: string[] = [];
        errors.set(page, list);
        page.on("pageerror", (e) => list.push(e.message));
        await page.goto(`${server.url}/#${hash}`);
        return page;
      },
      async done(page) {
        const list = errors.get(page) ?? [];
        await page.close();
        expect(list).toEqual([]);
      },
      close: () => closeSuite(parts),
    };
  } catch (e) {
    await closeSuite(parts);
    throw e;
  }
}

/** The `data-run-id` of each table row, in order. */
export const rowIds = (page: Page) =>
  page.$$eval("tr[data-run-id]", (rows) => rows.map((r) => (r as HTMLElement).dataset.runId!));

/** The hash query of a page's address. */
export function hashParams(page: Page): URLSearchParams {
  const hash = new URL(page.url()).hash;
  return new URLSearchParams(hash.slice(hash.indexOf("?") + 1));
}
