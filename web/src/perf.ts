/**
 * Performance marks the benchmark (bench/ui.ts) reads: `startTime` of a mark is relative to
 * navigation start. "Painted" is taken after the next animation frame has run, i.e. after the
 * browser has laid out and had its chance to paint the new DOM.
 */
const done = new Set<string>();

export type Mark =
  | "amltk:runs-table"
  | "amltk:runs-table-complete"
  | "amltk:chart"
  | "amltk:chart-data"
  | "amltk:run-page"
  | "amltk:compare"
  // Steps of a load, for bench/ui.ts's breakdown: the app's script runs, the first page of
  // runs is parsed, the chart's uPlot is built.
  | "amltk:app-start"
  | "amltk:runs-data"
  | "amltk:chart-built";

export function markPainted(name: Mark): void {
  if (done.has(name)) return;
  done.add(name);
  requestAnimationFrame(() => setTimeout(() => performance.mark(name), 0));
}

/** Marks now (not after paint): for steps such as "the chart's data arrived". */
export function markOnce(name: Mark): void {
  if (done.has(name)) return;
  done.add(name);
  performance.mark(name);
}

/** Resolves after the next frame has been rendered (or soon, in a hidden tab that has none). */
export function nextPaint(): Promise<void> {
  return new Promise((resolve) => {
    requestAnimationFrame(() => setTimeout(resolve, 0));
    setTimeout(resolve, 250);
  });
}
