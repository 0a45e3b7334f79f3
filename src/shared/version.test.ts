import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VERSION } from "./version.js";

const root = join(import.meta.dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };

describe("VERSION", () => {
  it("is package.json's version", () => {
    expect(VERSION).toBe(pkg.version);
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("is written nowhere else in src (one version string)", () => {
    const files = readdirSync(join(root, "src"), { recursive: true, encoding: "utf8" }).filter(
      (f) => f.endsWith(".ts") && !f.endsWith(".test.ts"),
    );
    const quoted = [`"${pkg.version}"`, `'${pkg.version}'`, `\`${pkg.version}\``];
    const writing = files.filter((f) => {
      const text = readFileSync(join(root, "src", f), "utf8");
      return quoted.some((q) => text.includes(q));
    });
    expect(writing).toEqual([]);
  });
});
