/**
 * Skips that tell the truth: a browser suite that CI expects cannot pass by skipping, and every
 * conditional skip in the project prints why.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isCi, MissingChromiumError, skipBecause, skipWithoutChromium } from "./skip.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const absent = { found: false, path: "/nowhere/chromium" };

afterEach(() => {
  vi.restoreAllMocks();
});

describe("skipWithoutChromium", () => {
  it("runs the suite when the browser is there, in CI or not", () => {
    expect(skipWithoutChromium("s", { found: true, path: "/x" }, { CI: "true" })).toBe(false);
    expect(skipWithoutChromium("s", { found: true, path: "/x" }, {})).toBe(false);
  });

  it("fails under CI=true when the browser is missing, naming the path", () => {
    expect(() => skipWithoutChromium("dashboard", absent, { CI: "true" })).toThrow(
      MissingChromiumError,
    );
    expect(() => skipWithoutChromium("dashboard", absent, { CI: "1" })).toThrow(
      /dashboard: no Chromium at \/nowhere\/chromium, and CI=1 expects/,
    );
  });

  it("skips outside CI, printing the reason", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(skipWithoutChromium("dashboard", absent, { CI: "false" })).toBe(true);
    expect(skipWithoutChromium("dashboard", absent, {})).toBe(true);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(
      /^skipped: dashboard: no Chromium at \/nowhere\/chromium/,
    );
  });

  it("reads CI as GitHub and GitLab set it, and not when empty, 0 or false", () => {
    for (const v of ["true", "TRUE", "1", "yes"]) expect(isCi({ CI: v })).toBe(true);
    for (const v of [undefined, "", " ", "0", "false", "False"])
      expect(isCi({ CI: v })).toBe(false);
  });
});

describe("skipBecause", () => {
  it("returns the condition and prints the reason only when it skips", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(skipBecause(false, "t", "never printed")).toBe(false);
    expect(warn).not.toHaveBeenCalled();
    expect(skipBecause(true, "kill a worker", "sequential has no worker")).toBe(true);
    expect(warn).toHaveBeenCalledWith("skipped: kill a worker: sequential has no worker");
  });
});

/** Every .ts file under the given folders of the repository, node_modules and dist excluded. */
function sources(...dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === "node_modules" || e.name === "dist") continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(".ts")) out.push(p);
    }
  };
  for (const d of dirs) walk(join(ROOT, d));
  return out;
}

/**
 * The conditional skips of a file that print no reason: `skipIf`/`runIf` whose condition is
 * neither a call of `skipBecause`/`skipWithoutChromium` nor a name set from one, nor a name
 * the file prints a warning for (`if (name) console.warn(...)`). `runIf` is a skip too.
 */
function silentSkips(text: string): string[] {
  const bad: string[] = [];
  for (const m of text.matchAll(/\.(skipIf|runIf)\(\s*([^()\s]*(?:\()?)/g)) {
    const [call, kind, arg] = m;
    if (kind === "runIf") {
      bad.push(call);
      continue;
    }
    if (arg === "skipBecause(" || arg === "skipWithoutChromium(") continue;
    const name = arg?.replace(/\($/, "") ?? "";
    const said =
      /^\w+$/.test(name) &&
      (new RegExp(`\\b${name}\\s*=\\s*(skipBecause|skipWithoutChromium)\\(`).test(text) ||
        new RegExp(`if \\(${name}\\)\\s*console\\.warn\\(`).test(text));
    if (!said) bad.push(call);
  }
  return bad;
}

describe("the project's skips", () => {
  it("finds a silent skip (so the check below can fail)", () => {
    expect(silentSkips('it.skipIf(!linux)("x", () => {});')).toEqual([".skipIf(!linux"]);
    expect(silentSkips('describe.runIf(linux)("x", () => {});')).toHaveLength(1);
    expect(silentSkips('const a = skipBecause(c, "w", "r");\nit.skipIf(a)("x")')).toEqual([]);
    expect(silentSkips('it.skipIf(skipBecause(c, "w", "r"))("x")')).toEqual([]);
  });

  it("every skipIf says why, and none is a bare runIf", () => {
    const files = sources("src", "test", "bench", "examples");
    expect(files.length).toBeGreaterThan(50);
    const silent = files
      .filter((f) => !f.endsWith(join("test", "skip.test.ts")))
      .flatMap((f) =>
        silentSkips(readFileSync(f, "utf8")).map((s) => `${relative(ROOT, f)}: ${s}`),
      );
    expect(silent).toEqual([]);
  });
});
