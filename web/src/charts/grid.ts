/**
 * The chart grid of the runs page: one panel per metric key, selected runs overlaid. Keys
 * come from the `keys` view setting or the union of the selected runs' history keys. Each
 * key is one series request, so panels appear as their data arrives.
 */
import {
  type GroupSeriesRequestBody,
  type GroupSeriesResult,
  groupSeries,
  keysOf,
  type Run,
  type SeriesData,
  type SeriesField,
  series,
  type UnionKey,
  type XMode,
} from "../api.js";
import { colorFor, PALETTE } from "../colors.js";
import { h } from "../element.js";
import { markOnce } from "../perf.js";
import { createPanel, drawsBands, type Panel, type PanelOptions } from "./panel.js";
import type { GroupBand, PanelInput } from "./panel-data.js";
import { remapX } from "./x-metric.js";

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
  /** A y range that ignores outliers. */
  robustY?: boolean;
  /** A logged metric to put on x instead of the step (x-metric.ts; grouped: the server's). */
  xKey?: string;
  /** Grouped charts (one mean line and band per group), or null for one line per run. */
  grouping: Grouping | null;
  /** The x range shown (panel units: steps or seconds), fetched at full resolution; null: all. */
  zoom?: [number, number] | null;
  /** What an empty chart area says (default: select runs). */
  emptyText?: string;
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
    // Many runs draw lines only: `last` is a quarter of the payload (`nonFinite` is sparse,
    // sent only for series with NaN/±Infinity, which get markers).
    ...(drawsBands(runs, o.grouped, o.smoothing) ? {} : { fields: ["last", "nonFinite"] }),
  };
}

const sameShape = (a: ReturnType<typeof seriesShape>, b: ReturnType<typeof seriesShape>) =>
  a.buckets === b.buckets && a.fields?.join() === b.fields?.join();

/** A series request sent before the runs were known (see `runsPage`), per key. */
export type Prefetched = Map<
  string,
  { shape: ReturnType<typeof seriesShape>; data: Promise<SeriesData[]> }
>;

/**
 * The keys to chart: the union of the runs' history keys (every selected run, or every run of
 * the groups), numeric ones in name order; the others, with why they get no panel.
 */
export async function discoverKeys(
  runs: readonly Run[],
  grouping: Grouping | null,
): Promise<{ keys: string[]; skipped: UnionKey[] }> {
  const all = await keysOf(
    grouping?.runsQuery !== undefined
      ? { runsQuery: grouping.runsQuery }
      : { runs: grouping?.runs ?? runs.map((r) => r.id) },
  );
  return {
    keys: all.filter((k) => k.numeric).map((k) => k.key),
    skipped: all.filter((k) => !k.numeric),
  };
}

/** The API's x range of a zoom: steps as they are, seconds as milliseconds. */
function apiRange(zoom: [number, number] | null | undefined, xMode: XMode) {
  if (!zoom) return {};
  const f = xMode === "step" ? 1 : 1000;
  return { xMin: zoom[0] * f, xMax: zoom[1] * f };
}

/**
 * The `POST /api/series/groups` body of one key's grouped panel; with a metric on x (`xKey`)
 * the server bins by that metric's values, and a zoom is in its unit.
 */
function groupRequest(
  key: string,
  g: Grouping,
  xMode: XMode,
  zoom: [number, number] | null,
  xKey?: string,
): GroupSeriesRequestBody {
  const x = xKey ? "step" : xMode;
  return {
    ...(g.runsQuery !== undefined ? { runsQuery: g.runsQuery } : { runs: g.runs ?? [] }),
    by: g.by,
    keys: [key],
    x,
    ...(xKey ? { xKey } : {}),
    buckets: 200,
    ...apiRange(zoom, x),
    ...(g.band === "pct" ? { percentiles: [10, 90] as [number, number] } : {}),
  };
}

export class ChartGrid {
  readonly el = h("div", { class: "grid" });
  private panels = new Map<string, Panel>();
  private keys: string[] = [];
  /** Which keys get no panel, and why (or that nothing was logged). */
  private readonly note = h("p", { class: "muted keys-note", hidden: true });
  /** Grouped requests sent ahead (`prefetchGroups`), by request body. */
  private readonly earlyGroups = new Map<string, Promise<GroupSeriesResult>>();
  private generation = 0;
  private firstDrawn = false;

  constructor(private o: GridOptions) {}

  private panelOptions(key: string): PanelOptions {
    const names = new Map(this.o.runs.map((r) => [r.id, r.name]));
    const groupColors = new Map<string, string>();
    return {
      title: key,
      // A metric on x is a plain number axis.
      xMode: this.o.xKey ? "step" : this.o.xMode,
      xMetric: this.o.xKey,
      smoothing: this.o.smoothing,
      log: this.o.log,
      robustY: this.o.robustY,
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
    if (runs.length === 0 && !this.o.grouping) {
      this.clear();
      this.el.append(
        h(
          "p",
          { class: "muted empty" },
          this.o.emptyText ?? "Select runs in the table to chart them.",
        ),
      );
      return;
    }
    let keys = [...this.o.keys];
    let skipped: UnionKey[] = [];
    if (keys.length === 0) ({ keys, skipped } = await discoverKeys(runs, this.o.grouping));
    if (gen !== this.generation) return;
    this.setKeys(keys, skipped);
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
    return apiRange(this.o.zoom, this.o.xMode);
  }

  /**
   * Sends the grouped charts' requests before the runs list has arrived (they name their runs
   * by query, not by id): `load` then takes each response for the identical request.
   */
  prefetchGroups(keys: readonly string[], g: Grouping, xMode: XMode, xKey?: string): void {
    for (const key of keys) {
      const body = groupRequest(key, g, xMode, null, xKey);
      const data = groupSeries(body);
      data.catch(() => {}); // a failed prefetch falls back to a normal request
      this.earlyGroups.set(JSON.stringify(body), data);
    }
  }

  /** One key's data: group aggregates, a prefetched response, or a series request. */
  private async fetchKey(key: string, prefetched: Prefetched | undefined): Promise<PanelInput> {
    const g = this.o.grouping;
    if (g) {
      const body = groupRequest(key, g, this.o.xMode, this.o.zoom ?? null, this.o.xKey);
      const id = JSON.stringify(body);
      const early = this.earlyGroups.get(id);
      this.earlyGroups.delete(id);
      const groups = (await early?.catch(() => undefined)) ?? (await groupSeries(body));
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
    const xKey = this.o.xKey;
    if (xKey) {
      // Both keys over the same steps and buckets, so each point finds its x value (and each
      // NaN/±Infinity marker too).
      const ask = (k: string, fields: SeriesField[]) =>
        series({ runs: ids, keys: [k], x: "step", ...shape, fields });
      const [ys, xs] = await Promise.all([ask(key, ["last", "nonFinite"]), ask(xKey, ["last"])]);
      return { runs: remapX(ys, xs).filter((s) => s.x.length > 0 || s.nonFinite) };
    }
    const data: SeriesData[] =
      early ??
      (await series({ runs: ids, keys: [key], x: this.o.xMode, ...shape, ...this.range() }));
    // A run with only NaN/±Infinity in view still gets its markers.
    return { runs: data.filter((s) => s.x.length > 0 || s.nonFinite) };
  }

  /** Updates the key's panel in place, or creates it in key order. */
  private place(key: string, keys: readonly string[], input: PanelInput): void {
    const opts = this.panelOptions(key);
    const empty = "groups" in input ? input.groups.series.length === 0 : input.runs.length === 0;
    if (empty) void this.explainEmpty(key);
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

  /**
   * Keeps the panels of keys still charted (no flicker, no panel vanishing and coming back
   * during a live sweep), drops the others, and says which keys get no panel and why.
   */
  private setKeys(keys: string[], skipped: readonly UnionKey[]): void {
    if (!this.el.contains(this.note)) this.el.replaceChildren(this.note);
    for (const [key, p] of this.panels) {
      if (keys.includes(key)) continue;
      p.destroy();
      p.el.remove();
      this.panels.delete(key);
    }
    this.keys = keys;
    const names = skipped.map((k) => k.key);
    this.note.textContent =
      keys.length === 0 && names.length === 0
        ? "No history logged yet."
        : names.length > 0
          ? `Not charted (no numbers: text, objects or only NaN): ${names.join(", ")}`
          : "";
    this.note.hidden = this.note.textContent === "";
  }

  /** An empty panel says why: the key holds no numbers, or no charted run logged it. */
  private async explainEmpty(key: string): Promise<void> {
    const g = this.o.grouping;
    const all = await keysOf(
      g?.runsQuery !== undefined
        ? { runsQuery: g.runsQuery }
        : { runs: g?.runs ?? this.o.runs.map((r) => r.id) },
    ).catch(() => []);
    const k = all.find((x) => x.key === key);
    this.panels
      .get(key)
      ?.explain(
        k
          ? `No numbers to draw: "${key}" holds text, objects or only NaN in these runs.`
          : `No charted run logged "${key}".`,
      );
  }

  clear(): void {
    for (const p of this.panels.values()) p.destroy();
    this.panels.clear();
    this.keys = [];
    this.el.replaceChildren();
  }
}
