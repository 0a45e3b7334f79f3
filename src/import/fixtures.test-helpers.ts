/** Shared by the import tests: fixture paths and temp folders. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "test",
  "fixtures",
  "wandb-0.30",
);

/** The `.wandb` file of fixture run `id`. */
export function fixtureRun(id: string): string {
  return join(FIXTURES, "wandb", `offline-run-20261201_001234-${id}`, `run-${id}.wandb`);
}

export function tempDir(prefix = "amltk-import-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** expected.json writes NaN and Infinity as strings (JSON has neither); turn them back into numbers. */
export function reviveSpecial(v: unknown): unknown {
  if (v === "NaN" || v === "Infinity" || v === "-Infinity") return Number(v);
  if (Array.isArray(v)) return v.map(reviveSpecial);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reviveSpecial(x)]));
  }
  return v;
}
