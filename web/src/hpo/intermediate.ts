/**
 * Intermediate values (optuna's plot_intermediate_values): one line per trial of a history key
 * over steps, what a pruner saw; pruned trials in orange with their last value marked, failed
 * ones in red, the rest in grey. `data-trials` counts the trials drawn, `data-pruned` the
 * pruned ones among them.
 */
import uPlot from "uplot";
import { keysOf, type Run, type SeriesData, series } from "../api.js";
import { xNumberAxis, yAxis } from "../charts/axis.js";
import { h } from "../element.js";
import { runStatus } from "../run-status.js";

/** Trials drawn at most (a line each). */
export const MAX_TRIALS = 200;

const COLOR = { pruned: "#ff7f0e", failed: "#d62728", crashed: "#d62728", other: "#8a8f98" };

/** The history key to draw: the metric when the trials logged it, else their first numeric key. */
function pickKey(keys: { key: string; numeric: boolean }[], metric: string): string | undefined {
  const numeric = keys.filter(
    (k) => k.numeric && !k.key.startsWith("_") && !k.key.startsWith("system/"),
  );
  const bare = metric.replace(/^metric\//, "");
  return (
    numeric.find((k) => k.key === metric) ??
    numeric.find((k) => k.key === bare) ??
    numeric[0]
  )?.key;
}

/** Aligns the trials' series on the union of their steps (uPlot's one x column). */
function align(list: SeriesData[]): uPlot.AlignedData {
  const xs = [...new Set(list.flatMap((s) => s.x))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const cols = list.map((s) => {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    s.x.forEach((x, i) => {
      col[at.get(x)!] = s.last[i]!;
    });
    return col;
  });
  return [xs, ...cols];
}

/** The panel; it fills in once the trials' series arrive. */
export function intermediateValues(
  runs: readonly Run[],
  metric: string,
  width: number,
): HTMLElement {
  const box = h(
    "section",
    { class: "panel wide intermediate", "data-key": "intermediate" },
    h("h3", null, "intermediate values"),
  );
  const trials = runs
    .slice()
    .sort((a, b) => a.createdAt - b.createdAt)
    .slice(-MAX_TRIALS);
  void draw(box, trials, metric, width).catch((e: unknown) => {
    box.append(h("p", { class: "error" }, `intermediate values: ${(e as Error).message}`));
  });
  return box;
}

async function draw(box: HTMLElement, trials: Run[], metric: string, width: number): Promise<void> {
  const ids = trials.map((r) => r.id);
  const key = ids.length ? pickKey(await keysOf({ runs: ids }), metric) : undefined;
  if (!key) {
    box.append(h("p", { class: "muted" }, "No trial logged a numeric value per step."));
    return;
  }
  const got = await series({ runs: ids, keys: [key], x: "step", buckets: 200, fields: ["last"] });
  const byRun = new Map(got.map((s) => [s.run, s]));
  const drawn = trials.filter((r) => (byRun.get(r.id)?.x.length ?? 0) > 0);
  const status = drawn.map((r) => runStatus(r));
  const kind = (s: string) => (s === "pruned" || s === "failed" || s === "crashed" ? s : "other");
  box.querySelector("h3")!.textContent = `intermediate values of ${key} (pruned in orange)`;
  box.dataset.trials = String(drawn.length);
  box.dataset.pruned = String(status.filter((s) => s === "pruned").length);
  const opts: uPlot.Options = {
    width,
    height: 280,
    legend: { show: false },
    scales: { x: { time: false } },
    axes: [xNumberAxis(), yAxis()],
    series: [
      { label: "step" },
      ...drawn.map((r, i) => {
        const s = kind(status[i]!);
        return {
          label: r.name,
          stroke: COLOR[s as keyof typeof COLOR],
          width: s === "other" ? 1 : 1.5,
          spanGaps: true,
          // A pruned trial's values are marked, so where the pruner stopped it shows.
          points: { show: s === "pruned", size: 5 },
        };
      }),
    ],
  };
  new uPlot(opts, align(drawn.map((r) => byRun.get(r.id)!)), box);
}
