/**
 * Export from the page: the runs table as CSV (the rows and columns shown, values in full
 * precision, not as the cells abbreviate them), and a chart panel as CSV (x and one column per
 * line, as plotted) or PNG (the panel's canvas). Files are made in the browser; nothing is
 * sent to the server.
 */
import type uPlot from "uplot";
import type { Run } from "./api.js";
import { h } from "./element.js";
import { pathValue } from "./run-fields.js";
import { runStatus } from "./run-status.js";

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. */
function csvField(v: unknown): string {
  const s =
    v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
  // A leading =, +, - or @ makes spreadsheets run the cell as a formula: keep it text.
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?[\d.]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** Rows of fields as CSV text, one line per row, CRLF as RFC 4180 says. */
export function toCsv(rows: readonly (readonly unknown[])[]): string {
  return `${rows.map((r) => r.map(csvField).join(",")).join("\r\n")}\r\n`;
}

/** The table as CSV: id, name, state, then each shown column (config/summary by full path). */
export function runsCsv(runs: readonly Run[], columns: readonly string[]): string {
  const header = ["id", "name", "state", ...columns];
  const value = (r: Run, c: string) =>
    c === "createdAt"
      ? new Date(r.createdAt).toISOString()
      : c === "tags"
        ? r.tags.join(";")
        : pathValue(r, c);
  return toCsv([
    header,
    ...runs.map((r) => [r.id, r.name, runStatus(r), ...columns.map((c) => value(r, c))]),
  ]);
}

/** A panel's plotted data as CSV: x, then one column per drawn line (empty where it has none). */
export function plotCsv(plot: uPlot, xLabel: string): string {
  const shown = plot.series.map((s, i) => ({ s, i })).filter(({ i }) => i > 0);
  const header = [xLabel, ...shown.map(({ s }) => String(s.label ?? ""))];
  const xs = plot.data[0] as ArrayLike<number>;
  const rows: unknown[][] = [];
  for (let j = 0; j < xs.length; j++) {
    rows.push([xs[j], ...shown.map(({ i }) => (plot.data[i] as ArrayLike<number | null>)[j])]);
  }
  return toCsv([header, ...rows]);
}

/** A file name made of safe characters only. */
export function fileName(base: string, ext: string): string {
  return `${base.replace(/[^\w.-]+/g, "_").slice(0, 80) || "export"}.${ext}`;
}

/** Saves `blob` as a download named `name`. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  // The click has started the download by the next task; then the URL may go.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** A canvas as a PNG blob. */
function pngOf(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (b) => (b ? resolve(b) : reject(new Error("the chart could not be encoded"))),
      "image/png",
    ),
  );
}

/**
 * The CSV and PNG buttons of a chart panel; `plot()` is the panel's uPlot once built (the
 * buttons do nothing before).
 */
export function panelExportButtons(title: string, plot: () => uPlot | null): HTMLElement {
  const csv = () => {
    const p = plot();
    if (p) download(new Blob([plotCsv(p, "x")], { type: "text/csv" }), fileName(title, "csv"));
  };
  const png = async () => {
    const p = plot();
    if (p) download(await pngOf(p.ctx.canvas), fileName(title, "png"));
  };
  return h(
    "span",
    { class: "panel-export" },
    h(
      "button",
      { type: "button", name: "export-csv", title: "this panel's lines as CSV", onclick: csv },
      "CSV",
    ),
    h(
      "button",
      { type: "button", name: "export-png", title: "this panel as PNG", onclick: () => void png() },
      "PNG",
    ),
  );
}
