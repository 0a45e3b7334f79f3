import { describe, expect, it } from "vitest";
import { defaultsDisagreeing } from "../shared/documented-defaults.test-helpers.js";
import { OptionError, UnknownOptionError } from "../shared/options.js";
import { Metric } from "../trial/metric.js";
import { OPTIMIZER_DEFAULTS } from "./base-optimizer.js";
import { GRID_SEARCH_DEFAULTS, GridSearch } from "./grid.js";
import { NSGA2, NSGA2_DEFAULTS } from "./nsga2/nsga2.js";
import { OPTIMIZE_DEFAULTS, OptimizeOptionError, optimize } from "./optimize.js";
import { DIRECTION_DEFAULTS } from "./pruners/curves.js";
import { MEDIAN_PRUNER_DEFAULTS, MedianPruner } from "./pruners/median.js";
import {
  SUCCESSIVE_HALVING_DEFAULTS,
  SuccessiveHalvingPruner,
} from "./pruners/successive-halving.js";
import { RandomSearch } from "./random.js";
import { float } from "./space/builders.js";
import { space } from "./space/search-space.js";
import { TPE, TPE_DEFAULTS } from "./tpe/tpe.js";

const base = () => ({ space: space({ x: float(0, 1) }), metrics: new Metric("loss") });

/** The error `make` throws (fails the test when it throws none). */
function thrown(make: () => unknown): unknown {
  try {
    make();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

describe("unknown option keys", () => {
  it("TPE refuses nStartupTrails, naming nStartupTrials", () => {
    const e = thrown(() => new TPE({ ...base(), nStartupTrails: 5 } as never));
    expect(e).toBeInstanceOf(UnknownOptionError);
    expect((e as UnknownOptionError).option).toBe("nStartupTrails");
    expect((e as UnknownOptionError).closest).toBe("nStartupTrials");
    expect((e as Error).message).toMatch(
      /^TPE: unknown option "nStartupTrails" \(did you mean "nStartupTrials"\?\)/,
    );
  });

  it("every optimizer and pruner refuses a misspelled key and names the closest one", () => {
    const cases: [string, () => unknown, string][] = [
      ["RandomSearch", () => new RandomSearch({ ...base(), sed: 1 } as never), "seed"],
      ["GridSearch", () => new GridSearch({ ...base(), resolutoin: 3 } as never), "resolution"],
      ["NSGA2", () => new NSGA2({ ...base(), populationSise: 10 } as never), "populationSize"],
      ["MedianPruner", () => new MedianPruner({ nWarmUpSteps: 2 } as never), "nWarmupSteps"],
      [
        "SuccessiveHalvingPruner",
        () => new SuccessiveHalvingPruner({ reductionFactr: 3 } as never),
        "reductionFactor",
      ],
    ];
    for (const [where, make, closest] of cases) {
      const e = thrown(make) as UnknownOptionError;
      expect(e, where).toBeInstanceOf(UnknownOptionError);
      expect(e.code).toBe("unknown_option");
      expect(e.where).toBe(where);
      expect(e.closest).toBe(closest);
    }
  });

  it("accepts every documented option, and a bad value is still an invalid_option", () => {
    expect(() => new TPE({ ...base(), nStartupTrials: 3, maxKernels: 64, seed: 2 })).not.toThrow();
    expect(() => new MedianPruner({ nStartupTrials: 2, minimize: false })).not.toThrow();
    const e = thrown(() => new MedianPruner({ nStartupTrials: -1 })) as OptionError;
    expect(e).toBeInstanceOf(OptionError);
    expect(e.code).toBe("invalid_option");
    expect(e.option).toBe("nStartupTrials");
  });
});

describe("defaults", () => {
  it("are frozen objects the code uses", () => {
    for (const d of [TPE_DEFAULTS, GRID_SEARCH_DEFAULTS, NSGA2_DEFAULTS, MEDIAN_PRUNER_DEFAULTS]) {
      expect(Object.isFrozen(d)).toBe(true);
    }
    const pruner = new MedianPruner();
    expect(pruner.nStartupTrials).toBe(MEDIAN_PRUNER_DEFAULTS.nStartupTrials);
    expect(new SuccessiveHalvingPruner().reductionFactor).toBe(
      SUCCESSIVE_HALVING_DEFAULTS.reductionFactor,
    );
    expect(new NSGA2(base()).populationSize).toBe(NSGA2_DEFAULTS.populationSize);
    expect(new RandomSearch(base()).ask().name).toBe(`${OPTIMIZER_DEFAULTS.prefix}0001`);
  });

  it("are the values the TSDoc @defaultValue tags document", () => {
    const at = (p: string) => new URL(p, import.meta.url);
    expect(defaultsDisagreeing(at("./tpe/tpe-options.ts"), TPE_DEFAULTS)).toEqual([]);
    expect(defaultsDisagreeing(at("./grid.ts"), GRID_SEARCH_DEFAULTS)).toEqual([]);
    expect(
      defaultsDisagreeing(at("./nsga2/nsga2.ts"), {
        populationSize: NSGA2_DEFAULTS.populationSize,
      }),
    ).toEqual([]);
    expect(defaultsDisagreeing(at("./pruners/median.ts"), MEDIAN_PRUNER_DEFAULTS)).toEqual([]);
    expect(
      defaultsDisagreeing(at("./pruners/successive-halving.ts"), SUCCESSIVE_HALVING_DEFAULTS),
    ).toEqual([]);
    expect(defaultsDisagreeing(at("./pruners/curves.ts"), DIRECTION_DEFAULTS)).toEqual([]);
    expect(defaultsDisagreeing(at("./base-optimizer.ts"), OPTIMIZER_DEFAULTS)).toEqual([]);
  });
});

describe("optimize options", () => {
  it("refuses a misspelled key before running anything", async () => {
    const opt = new RandomSearch(base());
    const e = await optimize({ fn: () => {}, optimizer: opt, maxTrails: 3 } as never).catch(
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(UnknownOptionError);
    expect((e as UnknownOptionError).closest).toBe("maxTrials");
    expect(opt.asked).toBe(0);
  });

  it("documents the defaults it uses, and a bad value is an OptionError", async () => {
    expect(
      defaultsDisagreeing(new URL("./optimize.ts", import.meta.url), OPTIMIZE_DEFAULTS),
    ).toEqual([]);
    const e = await optimize({
      fn: (trial) => trial.success({ loss: 1 }),
      optimizer: new RandomSearch(base()),
      maxTrials: 0,
    }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(OptimizeOptionError);
    expect(e).toBeInstanceOf(OptionError);
    expect((e as OptionError).code).toBe("invalid_option");
  });
});
