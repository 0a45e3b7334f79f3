/**
 * Skips that say why. Every `skipIf` in the project goes through `skipBecause` (or, for the
 * dashboard's browser suites, `skipWithoutChromium`), so a run that skips prints its reason,
 * and `test/skip.test.ts` keeps it that way.
 */

/**
 * Returns `condition`, printing `skipped: <what>: <reason>` when it holds, for `skipIf`.
 *
 * @example
 * it.skipIf(skipBecause(kind === "sequential", "killed worker", "sequential has no worker"))(
 *   "a killed worker gives a crashed report",
 *   async () => {},
 * );
 */
export function skipBecause(condition: boolean, what: string, reason: string): boolean {
  if (condition) console.warn(`skipped: ${what}: ${reason}`);
  return condition;
}

/** Whether an environment's `CI` variable says it is CI (any value but "", "0" or "false"). */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CI?.trim().toLowerCase();
  return v !== undefined && v !== "" && v !== "0" && v !== "false";
}

/** A browser suite that CI expects to run found no browser. */
export class MissingChromiumError extends Error {
  override name = "MissingChromiumError";
}

/**
 * Whether a browser suite is skipped for want of Chromium at `path`. Outside CI it is skipped,
 * with the reason printed; under CI (`CI=true`, as `.ci/run` runs, which installs Chromium) a
 * missing browser throws `MissingChromiumError` while the file loads, which fails the file:
 * a CI run that expected the browser suites must not pass without them.
 *
 * @example
 * describe.skipIf(skipWithoutChromium("CSP browser test", { found: hasChromium, path: CHROMIUM }))(
 *   "dashboard under its CSP",
 *   () => {},
 * );
 */
export function skipWithoutChromium(
  suite: string,
  chromium: { found: boolean; path: string },
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (chromium.found) return false;
  if (isCi(env))
    throw new MissingChromiumError(
      `${suite}: no Chromium at ${chromium.path}, and CI=${env.CI} expects the browser suites ` +
        "to run (.ci/run installs Debian's chromium; AMLTK_CHROMIUM names another binary)",
    );
  return skipBecause(
    true,
    suite,
    `no Chromium at ${chromium.path} (.ci/run installs Debian's chromium; under CI=true this fails)`,
  );
}
