/**
 * Per-test bookkeeping for tests that start child processes: every child and every cleanup
 * registered during a test is undone after it, so a failed test cannot leave a writer running
 * into the next one.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";

/** Registers an `afterEach` that SIGKILLs leftover children and runs cleanups, last first. */
export function processHarness(prefix: string) {
  const kids: ChildProcess[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const k of kids.splice(0))
      if (k.exitCode === null && k.signalCode === null) k.kill("SIGKILL");
    for (const f of cleanups.splice(0).reverse()) await f();
  });
  /** A fresh temp folder, removed after the test. */
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    cleanups.push(() => rmSync(d, { recursive: true, force: true }));
    return d;
  };
  return { kids, cleanups, tmp };
}
