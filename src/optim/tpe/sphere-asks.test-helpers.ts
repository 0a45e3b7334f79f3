/** The TPE option tests' shared loop: a model's asks on a shifted 2-d sphere. */
import { Metric } from "../../trial/metric.js";
import { float } from "../space/builders.js";
import { space } from "../space/search-space.js";
import { TPE, type TPEOptions } from "./tpe.js";

const metrics = new Metric("loss");

/** The x of 40 asks of a TPE with `options` on (x - 1)² + (y + 2)² over [-5, 5]², told each. */
export function sphereAsks(options: Partial<TPEOptions>, seed: number): number[] {
  const tpe = new TPE({
    space: space({ x: float(-5, 5), y: float(-5, 5) }),
    metrics,
    seed,
    ...options,
  });
  const xs: number[] = [];
  for (let i = 0; i < 40; i++) {
    const t = tpe.ask();
    const x = t.config.x as number;
    const y = t.config.y as number;
    xs.push(x);
    tpe.tell(t.success({ loss: (x - 1) ** 2 + (y + 2) ** 2 }));
  }
  return xs;
}
