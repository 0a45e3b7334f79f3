import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { tempDirs } from "../store/sqlite/sqlite.test-helpers.js";
import { main } from "./main.js";

const tmp = tempDirs("amltk-runs-cmd-");

it.each([["list"], ["show", "r1"], ["export", "r1"]])(
  "runs %s on a folder without a store says so and creates nothing",
  async (...cmd) => {
    const dir = join(tmp(), "missing");
    await expect(main(["node", "amltk", "runs", ...cmd, "--dir", dir])).rejects.toThrow(
      `no run store in ${dir} (no amltk.db there)`,
    );
    expect(existsSync(dir)).toBe(false);
  },
);
