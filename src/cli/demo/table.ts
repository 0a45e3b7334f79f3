/**
 * The demo's results: the History as a fixed-width text table (one row per trial, best
 * cost marked), readable in a terminal and in CI logs.
 *
 * @module
 */
import type { History } from "../../trial/history.js";
import { formatNumber } from "../../trial/progress.js";
import type { RowValue } from "../../trial/report.js";

function cell(v: RowValue | undefined): string {
  if (v === undefined || v === null) return "-";
  if (typeof v === "number") return formatNumber(v);
  return String(v);
}

function ms(seconds: RowValue | undefined): string {
  return typeof seconds === "number" ? (seconds * 1000).toFixed(2) : "-";
}

/** `history` as aligned columns: name, status, the metric, each config key, time in ms. */
export function historyTable(history: History, metric = "cost"): string {
  const rows = history.rows();
  const configKeys = [...new Set(rows.flatMap((r) => Object.keys(r)))]
    .filter((k) => k.startsWith("config:"))
    .sort();
  const best = history.best(metric)?.name;
  const header = ["name", "status", metric, ...configKeys.map((k) => k.slice(7)), "time (ms)"];
  const body = rows.map((r) => [
    `${r.name}${r.name === best ? " *" : ""}`,
    cell(r.status),
    cell(r[`metric:${metric}`]),
    ...configKeys.map((k) => cell(r[k])),
    ms(r["profile:trial:time:duration"]),
  ]);
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
