/**
 * The chart grid of the runs page: one panel per metric key, selected runs overlaid. Keys
 * come from the `keys` view setting or the union of the selected runs' history keys. Each
 * key is one series request, so panels appear as their data arrives.
 */
import {
  type GroupSeriesResult,
  groupSeries,
  type Run,
  runKeys,
  type SeriesData,
  type SeriesField,
  series,
  type XMode,
} from "../api.js";
import { colorFor, PALETTE } from "../colors.js";
import { h } from "../element.js";
import { markOnce } from "../perf.js";
import { createPanel, drawsBands, type Panel, type PanelOptions } from "./panel.js";
import type { GroupBand, PanelInput } from "./panel-data.js";

/**
 * Grouped charts: the groups of `by` over every run the runs query (or the run list) names,
 * aggregated by the server, one request per key.
 */
export interface Grouping {
  by: string;
  runsQuery?: string;
  runs?: string[];
  band: GroupBand;
}

export interface GridOptions {
  runs: readonly Run[];
  /** Explicit metric keys; empty = discover from the runs. */
  keys: readonly string[];
  xMode: XMode;
  smoothing: number;
  log: boolean;
  /** Grouped charts (one mean line and band per group), or null for one line per run. */
  grouping: Grouping | null;
  /** The x range shown (panel units: steps or seconds), fetched at full resolution; null: all. */
  zoom?: [number, number] | null;
  /** A panel was zoomed (or reset): the page keeps the range in the view and reloads. */
  onZoom?: (range: [number, number] | null) => void;
  /** Run colors; default a stable hash of the id. */
  color?: (runId: string) => string;
  onFirstDraw?: () => void;
  /** Series already requested for these runs; used by the next `load` only. */
  prefetched?: Prefetched;
}

/**
 * Buckets per series: about one per horizontal pixel of a panel for a few runs; with many
 * runs overlaid the lines blur together long before that, so half as many keeps the payload
 * (and the server's work) down.
 */
const bucketsFor = (runs: number) => (runs > 20 ? 200 : 400);
/** The buckets and columns a panel of `runs` runs asks for. */
export function seriesShape(
  runs: number,
  o: { grouped: boolean; smoothing: number },
): { buckets: number; fields?: SeriesField[] } {
  return {
    buckets: bucketsFor(runs),
    // Many runs draw lines only: `last` is a quarter of the payload.
    ...(drawsBands(runs, o.grouped, o.smoothing) ? {} : { fields: ["last"] }),
  };
}

const sameShape = (a: ReturnType<typeof seriesShape>, b: ReturnType<typeof seriesShape>) =>
  a.buckets === b.buckets && a.fields?.join() === b.fields?.join();

/** A series request sent before the runs were known (see `runsPage`), per key. */
export type Prefetched = Map<
  string,
  { shape: ReturnType<typeof seriesShape>; data: Promise<SeriesData[]> }
>;

/** Key discovery asks this many runs; a key logged by none of them needs `keys=`. */
const KEY_PROBE_RUNS = 4;

export async function discoverKeys(runs: readonly Run[]): Promise<string[]> {
  const lists = await Promise.all(runs.slice(0, KEY_PROBE_RUNS).map((r) => runKeys(r.id)));
  const keys = new Set<string>();
  for (const l of lists) for (const k of l) if (!k.key.startsWith("_")) keys.add(k.key);
  return [...keys].sort();
}

export class ChartGrid {
  readonly el = h("div", { class: "grid" });
  private panels = new Map<string, Panel>();
  private keys: string[] = [];
  private generation = 0;
  private firstDrawn = false;

  constructor(private o: GridOptions) {}

  private panelOptions(key: string): PanelOptions {
    const names = new Map(this.o.runs.map((r) => [r.id, r.name]));
    const groupColors = new Map<string, string>();
    return {
      title: key,
      xMode: this.o.xMode,
      smoothing: this.o.smoothing,
      log: this.o.log,
      label: (id) => names.get(id) ?? id,
      color: this.o.color ?? colorFor,
      band: this.o.grouping?.band,
      onZoom: this.o.onZoom,
      // Groups are few: give them distinct palette entries in order, not hashed ones.
      groupColor: (label) => {
        const c = groupColors.get(label) ?? PALETTE[groupColors.size % PALETTE.length]!;
        groupColors.set(label, c);
        return c;
      },
      onDrawn: () => {
        if (this.firstDrawn) return;
        this.firstDrawn = true;
        this.o.onFirstDraw?.();
      },
    };
  }

  /** (Re)loads every panel; live updates call this again and panels update in place. */
  async load(next?: Partial<GridOptions>): Promise<void> {
    if (next) this.o = { ...this.o, ...next };
    const gen = ++this.generation;
    const runs = this.o.runs;
    if (runs.length === 0) {
      this.clear();
      this.el.append(h("p", { class: "muted" }, "Select runs in the table to chart them."));
      return;
    }
    const keys = this.o.keys.length > 0 ? [...this.o.keys] : await discoverKeys(runs);
    if (gen !== this.generation) return;
    if (keys.join("\n") !== this.keys.join("\n")) {
      this.clear();
      this.keys = keys;
      if (keys.length === 0) this.el.append(h("p", { class: "muted" }, "No history logged yet."));
    }
    const prefetched = this.o.prefetched;
    this.o = { ...this.o, prefetched: undefined };
    await Promise.all(
      keys.map(async (key) => {
        const input = await this.fetchKey(key, prefetched);
        if (gen !== this.generation) return;
        markOnce("amltk:chart-data");
        this.place(key, keys, input);
      }),
    );
  }

  /** The API's x range of the zoom: steps as they are, seconds as milliseconds. */
  private range(): { xMin?: number; xMax?: number } {
    const z = this.o.zoom;
    if (!z) return {};
    const f = this.o.xMode === "step" ? 1 : 1000;
    return { xMin: z[0] * f, xMax: z[1] * f };
  }

  /** One key's data: group aggregates, a prefetched response, or a series request. */
  private async fetchKey(key: string, prefetched: Prefetched | undefined): Promise<PanelInput> {
    const g = this.o.grouping;
    if (g) {
      const groups: GroupSeriesResult = await groupSeries({
        ...(g.runsQuery !== undefined ? { runsQuery: g.runsQuery } : { runs: g.runs ?? [] }),
        by: g.by,
        keys: [key],
        x: this.o.xMode,
        buckets: 200,
        ...this.range(),
        ...(g.band === "pct" ? { percentiles: [10, 90] as [number, number] } : {}),
      });
      return { groups };
    }
    const ids = this.o.runs.map((r) => r.id);
    const shape = seriesShape(ids.length, { grouped: false, smoothing: this.o.smoothing });
    // A prefetch is used when it asked for exactly this: same shape, same runs in order.
    const pre = this.o.zoom ? undefined : prefetched?.get(key);
    const early =
      pre && sameShape(pre.shape, shape)
        ? await pre.data.then(
            (d) => (d.map((s) => s.run).join("\n") === ids.join("\n") ? d : undefined),
            () => undefined,
          )
        : undefined;
    const data: SeriesData[] =
      early ??
      (await series({ runs: ids, keys: [key], x: this.o.xMode, ...shape, ...this.range() }));
    return { runs: data.filter((s) => s.x.length > 0) };
  }

  /** Updates the key's panel in place, or creates it in key order. */
  private place(key: string, keys: readonly string[], input: PanelInput): void {
    const opts = this.panelOptions(key);
    const existing = this.panels.get(key);
    if (existing) {
      existing.update(input, opts);
      return;
    }
    const p = createPanel(input, opts);
    this.panels.set(key, p);
    // Keep key order stable whatever order the responses arrive in.
    const after = keys.slice(keys.indexOf(key) + 1).find((k) => this.panels.get(k)?.el.isConnected);
    this.el.insertBefore(p.el, after ? this.panels.get(after)!.el : null);
  }

  clear(): void {
    for (const p of this.panels.values()) p.destroy();
    this.panels.clear();
    this.keys = [];
    this.el.replaceChildren();
  }
}
