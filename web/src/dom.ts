/** A tiny element builder: enough DOM help for a dashboard without a framework. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
      else if (k === "class") el.className = String(v);
      else if (k === "value" && "value" in el) (el as HTMLInputElement).value = String(v);
      else if (k === "checked" && "checked" in el) (el as HTMLInputElement).checked = Boolean(v);
      // Through the CSSOM: the page's Content-Security-Policy refuses style attributes.
      else if (k === "style") el.style.cssText = String(v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "object" ? c : String(c));
  }
  return el;
}

/** Formats a cell value compactly: numbers to 4 significant digits, objects as JSON. */
export function fmt(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : String(+v.toPrecision(4));
  }
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

export function fmtTime(ms: number | null): string {
  if (!ms) return "";
  const d = new Date(ms);
  return d.toISOString().replace("T", " ").slice(0, 19);
}

export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "";
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${Math.round(seconds % 60)}s`;
  return `${Math.floor(m / 60)}h${m % 60}m`;
}

/** Reads `config.a.b` / `summary.cost` / `name` from a run-like object. */
export function pathValue(obj: object, path: string): unknown {
  const [head, ...rest] = path.split(".");
  // Own keys only: a run's config may hold "__proto__" or "constructor" as data, and a path
  // must read that data, never what an object inherits.
  const own = (o: unknown, k: string) =>
    o && typeof o === "object" && Object.hasOwn(o, k)
      ? (o as Record<string, unknown>)[k]
      : undefined;
  let v: unknown = own(obj, head!);
  if (rest.length === 0) return v;
  // Config keys may themselves contain dots (W&B flattens nested config), so try the whole tail first.
  const tail = rest.join(".");
  if (v && typeof v === "object" && Object.hasOwn(v, tail)) return own(v, tail);
  for (const p of rest) {
    if (!v || typeof v !== "object") return undefined;
    v = own(v, p);
  }
  return v;
}

/**
 * Leaf entries of a nested object as dotted keys (`{ model: { layers: 3 } }` gives
 * `model.layers`), so nested configs get one column and one sweep axis per value. Arrays and
 * depth past 4 stay whole.
 */
export function flatEntries(
  obj: Record<string, unknown>,
  prefix = "",
  depth = 0,
): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v) && depth < 4)
      out.push(...flatEntries(v as Record<string, unknown>, key, depth + 1));
    else out.push([key, v]);
  }
  return out;
}

/** Stable palette: a run keeps its color across panels and reloads (hash of its id). */
export const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
  "#393b79",
  "#637939",
  "#8c6d31",
  "#843c39",
  "#7b4173",
  "#3182bd",
];

export function colorFor(id: string): string {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) | 0;
  return PALETTE[Math.abs(hash) % PALETTE.length]!;
}

export function debounce<A extends unknown[]>(
  fn: (...a: A) => void,
  ms: number,
): (...a: A) => void {
  let t: ReturnType<typeof setTimeout> | undefined;
  return (...a: A) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}
