/**
 * The package's version, read once from package.json: the CLI's `--version`, the server's
 * `/api/health` and `amltk`'s `VERSION` all show this one string, so a release bumps only
 * package.json.
 *
 * This file imports nothing of the project, so any room may use it.
 *
 * @module
 */
import { readFileSync } from "node:fs";

/**
 * Reads `version` from the package.json two folders up: the same path from `src/shared/` (tests,
 * tsx) and from `dist/shared/` (the built package), both of which sit beside package.json's
 * folder.
 */
function readPackageVersion(): string {
  const url = new URL("../../package.json", import.meta.url);
  const pkg = JSON.parse(readFileSync(url, "utf8")) as { name?: unknown; version?: unknown };
  if (pkg.name !== "amltk" || typeof pkg.version !== "string") {
    throw new Error(`${url.pathname} is not amltk's package.json (no "version" for amltk)`);
  }
  return pkg.version;
}

/**
 * The package's version, as package.json gives it.
 *
 * @example
 * ```ts
 * import { VERSION } from "amltk";
 * console.log(`amltk ${VERSION}`);
 * ```
 */
export const VERSION: string = readPackageVersion();
