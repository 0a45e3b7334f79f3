/** How the dashboard writes values, times and durations in cells and labels. */

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

/** A UTC timestamp `YYYY-MM-DD hh:mm:ss` from epoch milliseconds; "" for none. */
export function fmtTime(ms: number | null): string {
  if (!ms) return "";
  const d = new Date(ms);
  return d.toISOString().replace("T", " ").slice(0, 19);
}

/** A duration in seconds as `12.3s`, `4m5s` or `1h2m`; "" when not finite. */
export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "";
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${Math.round(seconds % 60)}s`;
  return `${Math.floor(m / 60)}h${m % 60}m`;
}
