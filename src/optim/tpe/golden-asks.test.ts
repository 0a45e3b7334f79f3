import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { goldenRuns } from "./golden-asks.test-helpers.js";

/**
 * The configs of seeded TPE runs (golden-asks.test-helpers.ts), as recorded before issue 16's
 * speed work, in golden-asks.fixture.json. A change to the sampler's speed must not change
 * one bit of a proposal (a sum summed in another order can); rewrite the fixture only for a
 * change meant to alter proposals, and say so in its commit:
 * `node --import tsx -e 'import("./src/optim/tpe/golden-asks.test-helpers.ts").then(m =>
 * console.log(JSON.stringify(m.goldenRuns())))' > src/optim/tpe/golden-asks.fixture.json`, then
 * `npx biome check --write` on it.
 */
const golden = JSON.parse(
  readFileSync(new URL("./golden-asks.fixture.json", import.meta.url), "utf8"),
) as ReturnType<typeof goldenRuns>;

describe("TPE's seeded proposals", () => {
  const runs = goldenRuns();
  it.each(Object.keys(golden))("%s: the same configs, bit for bit", (name) => {
    expect(runs[name]?.length).toBeGreaterThan(0);
    expect(runs[name]).toEqual(golden[name]);
  });

  it("pins every run it makes", () => {
    expect(Object.keys(golden).sort()).toEqual(Object.keys(runs).sort());
  });
});
