/**
 * Seeded TPE runs whose configs golden-asks.test.ts pins, bit for bit: a change meant only to
 * make TPE faster must leave them as they are (issue 16's sampler-time work kept them so).
 */
import { Metric } from "../../trial/metric.js";
import { categorical, float, int } from "../space/builders.js";
import { type SearchSpace, space } from "../space/search-space.js";
import type { Config } from "../types.js";
import { TPE, type TPEOptions } from "./tpe.js";

/** A space with every numeric kind (log int, int, float, log float) and a categorical. */
const mixed = () =>
  space({
    units: int(1, 500, { log: true }),
    batch: int(0, 100),
    dropout: float(0, 1),
    act: categorical(["relu", "tanh", "gelu"]),
    lr: float(1e-4, 1, { log: true }),
  });

const mixedLoss = (c: Config) =>
  Math.log((c.units as number) / 50) ** 2 +
  (((c.batch as number) - 30) / 100) ** 2 +
  ((c.dropout as number) - 0.3) ** 2 +
  (c.act === "tanh" ? 0 : 0.5) +
  Math.log10((c.lr as number) / 1e-2) ** 2;

/** Parameters that exist for one choice of `model` only. */
const conditional = () =>
  space({
    model: categorical(["a", "b"]),
    xa: float(-5, 5, { when: { model: "a" } }),
    ya: float(-5, 5, { when: { model: "a" } }),
    kb: int(1, 20, { when: { model: "b" } }),
  });

const conditionalLoss = (c: Config) =>
  c.model === "a"
    ? 1 + ((c.xa as number) - 1) ** 2 + ((c.ya as number) + 1) ** 2
    : ((c.kb as number) - 7) ** 2 / 10;

/**
 * `asks` configs of a seeded TPE, asked two at a time every 7th round (the constant liar) and
 * told back, every 11th as a failure (wider bad kernels).
 */
function asked(
  s: SearchSpace,
  losses: (c: Config) => Record<string, number>,
  options: Partial<TPEOptions> & Pick<TPEOptions, "metrics" | "seed">,
  asks: number,
): Config[] {
  const tpe = new TPE({ space: s, ...options });
  const configs: Config[] = [];
  for (let round = 0; configs.length < asks; round++) {
    const trials = tpe.ask(round % 7 === 6 ? 2 : 1);
    for (const t of trials) configs.push(t.config as Config);
    for (const t of trials)
      tpe.tell(
        configs.length % 11 === 0
          ? t.fail(new Error("failed"))
          : t.success(losses(t.config as Config)),
      );
  }
  return configs;
}

/** The pinned runs, by name: each a list of configs as JSON would carry them. */
export function goldenRuns(): Record<string, Config[]> {
  const loss = new Metric("loss");
  const two = [new Metric("a"), new Metric("b", { minimize: false })];
  const runs: Record<string, Config[]> = {
    // The default single-metric TPE, response-surface steps included (every 3rd, all trials,
    // so that some land within 60 asks).
    mixedSurface: asked(
      mixed(),
      (c) => ({ loss: mixedLoss(c) }),
      { metrics: loss, seed: 11, responseSurface: { every: 3, fraction: 1 } },
      60,
    ),
    mixedDefaults: asked(mixed(), (c) => ({ loss: mixedLoss(c) }), { metrics: loss, seed: 12 }, 60),
    conditional: asked(
      conditional(),
      (c) => ({ loss: conditionalLoss(c) }),
      { metrics: loss, seed: 13 },
      50,
    ),
    motpe: asked(
      mixed(),
      (c) => ({ a: mixedLoss(c), b: c.dropout as number }),
      { metrics: two, seed: 14 },
      50,
    ),
  };
  return JSON.parse(JSON.stringify(runs));
}
