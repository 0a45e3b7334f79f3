import { describe, expect, it } from "vitest";
import { Metric } from "../trial/metric.js";
import { CmaEs } from "./cmaes/cmaes.js";
import { GridSearch } from "./grid.js";
import { NSGA2 } from "./nsga2/nsga2.js";
import { RandomSearch } from "./random.js";
import { conformanceSpace, type TellSubject, tellConformance } from "./tell-conformance.js";
import { TPE } from "./tpe/tpe.js";

/** Every optimizer, each through the one suite (Hono's shared router tests are the model). */
const subjects: TellSubject[] = [
  { name: "RandomSearch", make: (o) => new RandomSearch(o) },
  { name: "GridSearch", make: (o) => new GridSearch(o) },
  {
    name: "TPE",
    make: (o) => new TPE({ ...o, nStartupTrials: 5 }),
    best: (opt) => (opt as TPE).front(),
  },
  {
    name: "TPE (univariate)",
    make: (o) => new TPE({ ...o, nStartupTrials: 5, multivariate: false }),
    best: (opt) => (opt as TPE).front(),
  },
  { name: "CmaEs", make: (o) => new CmaEs({ ...o, populationSize: 4 }) },
  {
    name: "NSGA2",
    make: (o) => new NSGA2({ ...o, populationSize: 4 }),
    best: (opt) => (opt as NSGA2).front(),
  },
];

describe.each(subjects)("$name.tell conformance", (subject) => {
  it.each(tellConformance(subject))("$name", (c) => c.run());
});

describe("tell conformance, beyond the suite", () => {
  it("NSGA2: one report told 8 times does not fill a population of 4", () => {
    const opt = new NSGA2({
      space: conformanceSpace(),
      metrics: new Metric("loss"),
      populationSize: 4,
    });
    const t = opt.ask();
    const r = t.success({ loss: 1 });
    opt.tell(r);
    for (let i = 0; i < 7; i++) expect(() => opt.tell(r)).toThrow(/already told/);
    expect(opt.generation).toBe(0);
    expect(opt.population).toEqual([]);
  });
});
