/**
 * The package as npm would publish it: packed from the built dist (npm test builds first), then
 * linted by publint (package.json fields, exports, files) and checked by Are The Types Wrong
 * (each entry's types resolve for ESM consumers under node16 and bundler resolution). Both
 * run offline: the tarball is made locally and attw is told not to fetch @types packages.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entries, root } from "./api-report.js";

const run = promisify(execFile);
const bin = (name: string) => join(root, "node_modules", ".bin", name);

let dir: string;
let tarball: string;

beforeAll(async () => {
  for (const e of entries()) {
    const built = join(
      root,
      "dist",
      "public",
      `${e.file.split("/").pop()!.replace(/\.ts$/, "")}.js`,
    );
    if (!existsSync(built)) throw new Error(`${built} is missing: run npm run build first`);
  }
  dir = mkdtempSync(join(tmpdir(), "amltk-pack-"));
  // --ignore-scripts: pack what is built, without `prepare` rebuilding it.
  const { stdout } = await run(
    "npm",
    ["pack", "--ignore-scripts", "--json", "--pack-destination", dir],
    {
      cwd: root,
    },
  );
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  tarball = join(dir, packed!.filename);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs a checker; its exit status and output together, so a failure shows what it said. */
async function check(file: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(file, args, {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1" },
    });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof err.code === "number" ? err.code : -1,
      out: `${err.stdout}${err.stderr}`,
    };
  }
}

describe("the packed package", () => {
  it("passes publint with warnings as errors", async () => {
    const { code, out } = await check(bin("publint"), ["run", tarball, "--strict"]);
    expect(out).toContain("All good!");
    expect(code, out).toBe(0);
  });

  it("has types that resolve for ESM consumers (attw, esm-only profile)", async () => {
    const args = [tarball, "--profile", "esm-only", "--no-definitely-typed", "--format", "json"];
    const { code, out } = await check(bin("attw"), args);
    const report = JSON.parse(out.slice(out.indexOf("{"))) as {
      analysis: { entrypoints: Record<string, unknown> };
      problems: Record<string, { entrypoint: string; resolutionKind?: string }[]>;
    };
    // An ESM-only package cannot be required or resolved by node10: those two kinds are the
    // profile's expected misses; any other problem is a real one.
    const real = Object.values(report.problems)
      .flat()
      .filter((p) => p.resolutionKind !== "node10" && p.resolutionKind !== "node16-cjs");
    expect(real).toEqual([]);
    expect(code, out).toBe(0);
    const subpaths = entries().map((e) =>
      e.specifier === "amltk" ? "." : `./${e.specifier.slice(6)}`,
    );
    expect(Object.keys(report.analysis.entrypoints)).toEqual(expect.arrayContaining(subpaths));
  });

  it("reports package.json's version from the CLI and the entry point (one version string)", async () => {
    const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      version: string;
    };
    const { stdout } = await run(process.execPath, [join(root, "bin", "amltk.js"), "--version"]);
    expect(stdout.trim()).toBe(version);
    const built = (await import(pathToFileURL(join(root, "dist", "public", "index.js")).href)) as {
      VERSION: string;
    };
    expect(built.VERSION).toBe(version);
  });
});
