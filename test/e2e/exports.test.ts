import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The export map and the entry files must agree: every subpath points at a built entry whose
// source lives in src/public, and every file in src/public is exported.
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  exports: Record<string, string | { types: string; import: string }>;
  bin: Record<string, string>;
};

describe("package.json exports", () => {
  const entries = Object.entries(pkg.exports).filter(([k]) => k !== "./package.json");

  it("maps each subpath to a src/public entry and its built JS and .d.ts", () => {
    for (const [subpath, target] of entries) {
      if (typeof target === "string") throw new Error(`${subpath} must have types and import`);
      const name = subpath === "." ? "index" : subpath.slice(2);
      expect(target.import).toBe(`./dist/public/${name}.js`);
      expect(target.types).toBe(`./dist/public/${name}.d.ts`);
      expect(existsSync(join(root, "src/public", `${name}.ts`)), `src/public/${name}.ts`).toBe(
        true,
      );
      expect(existsSync(join(root, target.import)), target.import).toBe(true);
      expect(existsSync(join(root, target.types)), target.types).toBe(true);
    }
  });

  it("exports every file of src/public", async () => {
    const { readdirSync } = await import("node:fs");
    const files = readdirSync(join(root, "src/public")).filter((f) => f.endsWith(".ts"));
    const exported = entries.map(([k]) => (k === "." ? "index.ts" : `${k.slice(2)}.ts`));
    expect(files.sort()).toEqual(exported.sort());
  });

  it("has a bin that exists", () => {
    expect(existsSync(join(root, pkg.bin.amltk))).toBe(true);
  });
});
