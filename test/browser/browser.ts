/**
 * Shared pieces of the dashboard's browser tests and bench/ui.ts: Debian's Chromium driven by
 * playwright-core (never a downloaded browser), a fresh dashboard build, and screenshots kept
 * under test-artifacts/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = process.env.AMLTK_CHROMIUM ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const ARTIFACTS = join(ROOT, "test-artifacts");

/** Where the browser suites look for Chromium, and whether it is there. */
export const chromiumBinary = { found: hasChromium, path: CHROMIUM };

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Containers and CI run as root, where Chromium's sandbox cannot start.
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
}

/**
 * Builds the dashboard (Vite, ~1 s) into a fresh temp folder and returns it, for
 * `createServer({ webDir })`: tests never run against a stale build, and never empty the
 * shared dist/web while another test file serves it.
 */
export async function buildDashboard(): Promise<string> {
  const { build } = await import("vite");
  const outDir = mkdtempSync(join(tmpdir(), "amltk-web-build-"));
  await build({
    configFile: join(ROOT, "web/vite.config.ts"),
    logLevel: "warn",
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}

export function screenshotPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, `${name}.png`);
}

/**
 * Closes what a suite opened, in order (browser, server, store) and removes its folders; every
 * part may be missing when `beforeAll` failed half-way.
 */
export async function closeSuite(parts: {
  browser?: Browser;
  server?: { close(): Promise<void> };
  store?: { close(): Promise<void> };
  dirs: (string | undefined)[];
}): Promise<void> {
  await parts.browser?.close();
  await parts.server?.close();
  await parts.store?.close();
  for (const d of parts.dirs) if (d) rmSync(d, { recursive: true, force: true });
}
