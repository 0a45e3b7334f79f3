import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect, it, vi } from "vitest";
import { decodeJson } from "../shared/json-numbers.js";
import { SqliteStore } from "../store/sqlite/index.js";
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

it("runs show and runs export --format json keep NaN and Infinity as the API's tags", async () => {
  const dir = tmp();
  const store = await SqliteStore.open(dir);
  await store.createRun({ id: "r1", project: "p", name: "r1", createdAt: 1_000 });
  await store.appendHistory("r1", [
    {
      step: 0,
      runtime: 0,
      timestamp: 1,
      values: { loss: Number.NaN, best: Number.NEGATIVE_INFINITY },
    },
  ]);
  await store.updateRun("r1", { summary: { loss: Number.NaN, big: Number.POSITIVE_INFINITY } });
  await store.close();

  const out: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((s: string) => void out.push(s));
  const write = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    out.push(String(s));
    return true;
  });
  try {
    await main(["node", "amltk", "runs", "show", "r1", "--dir", dir]);
    await main(["node", "amltk", "runs", "export", "r1", "--format", "json", "--dir", dir]);
    await main(["node", "amltk", "runs", "export", "r1", "--dir", dir]);
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
  const shown = decodeJson<{ summary: Record<string, number> }>(out[0]!);
  expect(shown.summary.loss).toBeNaN();
  expect(shown.summary.big).toBe(Number.POSITIVE_INFINITY);
  const [row] = decodeJson<Record<string, number>[]>(out[1]!);
  expect(row!.loss).toBeNaN();
  expect(row!.best).toBe(Number.NEGATIVE_INFINITY);
  expect(out[2]).toContain("NaN");
  expect(out[2]).toContain("-Infinity");
});
