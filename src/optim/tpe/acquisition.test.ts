import { describe, expect, it } from "vitest";
import { OptionError } from "../../shared/options.js";
import { Metric } from "../../trial/metric.js";
import { RandomSearch } from "../random.js";
import { Rng } from "../rng.js";
import { categorical, float, int } from "../space/builders.js";
import { space } from "../space/search-space.js";
import { jointWidth } from "./bandwidths.js";
import { Parzen, type ParzenOptions } from "./parzen.js";
import { TPE } from "./tpe.js";

const loss = new Metric("loss");

const opts: ParzenOptions = {
  priorWeight: 1,
  multivariate: true,
  considerEndpoints: false,
  minBandwidth: 0.001,
  bandwidthScale: 0.2,
};

describe("kernel widths from the points' spread", () => {
  const mus = Float64Array.from([0.4, 0.6, 0.5]); // two points, then the prior's mean
  const shrink = 2 ** (-1 / 5);

  it("is factor × weighted standard deviation × n^(-1/(d+4)), combined as asked", () => {
    const scott = 0.2 * shrink;
    const spread = 0.1 * shrink; // sd of {0.4, 0.6} is 0.1
    expect(jointWidth(scott, shrink, mus, 2, [1, 1], { factor: 1, combine: "only" })).toBeCloseTo(
      spread,
      12,
    );
    expect(jointWidth(scott, shrink, mus, 2, [1, 1], { factor: 1, combine: "min" })).toBeCloseTo(
      spread,
      12,
    );
    expect(jointWidth(scott, shrink, mus, 2, [1, 1], { factor: 1, combine: "max" })).toBeCloseTo(
      scott,
      12,
    );
    expect(jointWidth(scott, shrink, mus, 2, [1, 1], undefined)).toBe(scott);
  });

  it("narrows as the points gather, and Parzen uses it per dimension", () => {
    const spread = { factor: 1, combine: "only" } as const;
    const wide = new Parzen(
      [{ kind: "float" }, { kind: "float" }],
      [0.1, 0.5, 0.9, 0.52],
      2,
      [1, 1],
      {
        ...opts,
        spread,
      },
    );
    const widths = wide.widths();
    // Dimension 0 spans 0.1..0.9, dimension 1 only 0.5..0.52.
    const shrink2d = 2 ** (-1 / 6);
    expect(widths[0]).toBeCloseTo(0.4 * shrink2d, 12);
    expect(widths[1]).toBeCloseTo(0.01 * shrink2d, 12);
  });
});

describe("Parzen.sample from one kernel", () => {
  it("draws around that kernel's point only", () => {
    const p = new Parzen([{ kind: "float" }], [0.1, 0.9], 2, [1, 1], {
      ...opts,
      bandwidthScale: 0.01,
    });
    const draws = p.sample(new Rng(3), 200, 1);
    for (const x of draws) expect(Math.abs(x - 0.9)).toBeLessThan(0.1);
  });
});

describe("TPE with incumbent candidates and local search", () => {
  const mixed = () =>
    space({
      model: categorical(["a", "b"]),
      x: float(-5, 5, { when: { model: "a" } }),
      k: int(1, 9, { when: { model: "a" } }),
      y: float(1e-3, 1, { log: true }),
    });
  const f = (c: Record<string, unknown>) =>
    c.model === "a"
      ? ((c.x as number) - 1) ** 2 + ((c.k as number) - 4) ** 2 + Math.log10(c.y as number) ** 2
      : 50;

  it("asks only valid configs, reproducibly per seed, and beats random search", () => {
    const runOnce = (seed: number, random = false) => {
      const s = mixed();
      const options = { space: s, metrics: loss, seed };
      const tpe = random
        ? new RandomSearch(options)
        : new TPE({
            ...options,
            incumbentCandidates: 8,
            localSearchRounds: 3,
            spreadBandwidth: { factor: 0.5, combine: "max" },
          });
      const seen: string[] = [];
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 60; i++) {
        const t = tpe.ask();
        s.validate(t.config);
        seen.push(JSON.stringify(t.config));
        const y = f(t.config);
        best = Math.min(best, y);
        tpe.tell(t.success({ loss: y }));
      }
      return { seen, best };
    };
    const a = runOnce(5);
    expect(runOnce(5).seen).toEqual(a.seen);
    const seeds = [1, 2, 3, 4, 5];
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[2];
    const ours = median(seeds.map((seed) => runOnce(seed).best));
    const random = median(seeds.map((seed) => runOnce(seed, true).best));
    expect(ours).toBeLessThan(random);
  });

  it("refuses bad settings with an OptionError naming the option", () => {
    const s = mixed();
    const bad = [
      { localSearchRounds: -1 },
      { localSearchPoints: 0 },
      { incumbentCandidates: 1.5 },
      { spreadBandwidth: { factor: 0, combine: "min" as const } },
      { spreadBandwidth: { factor: 1, combine: "mean" as "min" } },
      { goodWeights: "best" as "rank" },
    ];
    for (const options of bad) {
      const make = () => new TPE({ space: s, metrics: loss, ...options });
      expect(make).toThrow(OptionError);
      try {
        make();
      } catch (e) {
        expect((e as OptionError).code).toBe("invalid_option");
        expect((e as OptionError).option).toBe(Object.keys(options)[0]);
      }
    }
  });
});
