/**
 * The public API is what the committed reports in docs/api-report/ say it is: a name that
 * enters or leaves an entry point (`amltk`, `amltk/track`, ...) fails here until the report is
 * regenerated with `npm run api-report` and the diff is committed, so such a change is always
 * deliberate and reviewed.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildReports, entries } from "./api-report.js";

const reports = await buildReports();

describe("public API report", () => {
  it.each(entries().map((e) => e.specifier))("%s matches its committed report", (specifier) => {
    const [entry, text] = [...reports].find(([e]) => e.specifier === specifier)!;
    expect(existsSync(entry.report), `${entry.report} (run npm run api-report)`).toBe(true);
    expect(text, "the public API changed: run npm run api-report and commit the diff").toBe(
      readFileSync(entry.report, "utf8"),
    );
  });

  it.each(entries().map((e) => e.specifier))("%s names each export (no export *)", (specifier) => {
    const entry = entries().find((e) => e.specifier === specifier)!;
    // `export *` would let any new export of a feature module onto the public path unseen.
    expect(readFileSync(entry.file, "utf8")).not.toMatch(/export\s+\*/);
  });

  it("keeps internals off the public path", () => {
    const amltk = [...reports].find(([e]) => e.specifier === "amltk")![1];
    // Named by issue 11 as internals that `export *` had leaked into `amltk`.
    for (const name of ["callTrial", "answerPruning", "attachPruningChannel", "moduleOf", "sbx"]) {
      expect(amltk).not.toContain(`\`${name}\``);
    }
    expect(amltk).toContain("- `Scheduler` (class)");
  });
});
