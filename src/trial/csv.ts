/**
 * Minimal RFC 4180 CSV writing and parsing for report rows.
 *
 * @module
 */

import type { RowValue } from "./report.js";

function quote(v: RowValue): string {
  if (v === null) return "";
  const s = String(v);
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes rows as CSV; the header is the union of keys in first-seen order. */
export function toCSV(rows: Record<string, RowValue>[]): string {
  const cols: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    for (const k of Object.keys(r)) {
      if (!seen.has(k)) {
        seen.add(k);
        cols.push(k);
      }
    }
  }
  const lines = [cols.map(quote).join(",")];
  for (const r of rows) lines.push(cols.map((c) => quote(r[c] ?? null)).join(","));
  return lines.join("\n") + "\n";
}

/** Parses CSV text into records of raw strings (quoted cells keep quotes' content verbatim). */
export function parseCSV(text: string): Record<string, string>[] {
  const records: string[][] = [];
  let row: string[] = [];
  let field = "";
  let inQuotes = false;
  let i = 0;
  let any = false;
  while (i < text.length) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
      } else {
        field += ch;
      }
      i++;
      continue;
    }
    if (ch === '"') {
      inQuotes = true;
      any = true;
    } else if (ch === ",") {
      row.push(field);
      field = "";
      any = true;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      if (any || field.length > 0 || row.length > 0) {
        row.push(field);
        records.push(row);
      }
      row = [];
      field = "";
      any = false;
    } else {
      field += ch;
      any = true;
    }
    i++;
  }
  if (inQuotes) throw new Error("CSV: unterminated quoted field");
  if (any || field.length > 0 || row.length > 0) {
    row.push(field);
    records.push(row);
  }
  if (records.length === 0) return [];
  const [header, ...body] = records;
  return body.map((cells, n) => {
    if (cells.length !== header.length) {
      throw new Error(`CSV: row ${n + 2} has ${cells.length} cells, header has ${header.length}`);
    }
    const out: Record<string, string> = {};
    header.forEach((h, j) => {
      out[h] = cells[j];
    });
    return out;
  });
}
