/**
 * The optimizer on its own, without a scheduler: ask for trials, evaluate them however you
 * like, tell the optimizer how they went. Same seed, same trials.
 *
 * Run: npm run build && npx tsx examples/ask-tell.ts
 */
import { categorical, float, int, Metric, space, TPE } from "amltk";

const searchSpace = space({
  x: float(-5, 5),
  n: int(1, 64, { log: true }),
  kind: categorical(["linear", "rbf"]),
  gamma: float(1e-4, 1, { log: true, when: { kind: "rbf" } }), // only when kind is "rbf"
});

const tpe = new TPE({ space: searchSpace, metrics: new Metric("loss"), seed: 7 });
let best: { loss: number; config: Record<string, unknown> } | undefined;

for (let i = 0; i < 60; i++) {
  const trial = tpe.ask();
  const { x, n, kind, gamma } = trial.config as {
    x: number;
    n: number;
    kind: string;
    gamma?: number;
  };
  const loss =
    (x - 1) ** 2 +
    Math.abs(Math.log2(n) - 3) +
    (kind === "rbf" ? Math.abs(Math.log10(gamma ?? 1) + 2) : 1);
  tpe.tell(trial.success({ loss }));
  if (!best || loss < best.loss) best = { loss, config: trial.config };
}

console.log(JSON.stringify(best));
