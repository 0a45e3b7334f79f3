/**
 * Page-load breakdowns for bench/ui.ts and bench/ui-views.ts: where a page load's time went
 * (Resource Timing per request, the server's `Server-Timing`, the app's marks), and the median
 * of each field over several loads.
 */

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(2);
}

/**
 * Where a chart page load spends its time, from Resource Timing and the app's marks: ms from
 * navigation start (`*At`), durations (`*Ms`) and body sizes (`*Bytes`). Runs in the page.
 * `serverWait` is request sent to first byte: on the single-threaded server it includes the
 * time the request waited behind earlier ones.
 */
export function loadBreakdown(): Record<string, number> {
  const out: Record<string, number> = {};
  const r1 = (x: number) => Math.round(x * 10) / 10;
  const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
  out.htmlResponseEndAt = r1(nav.responseEnd);
  out.domContentLoadedAt = r1(nav.domContentLoadedEventStart);
  const res = performance.getEntriesByType("resource") as PerformanceResourceTiming[];
  const name = (e: PerformanceResourceTiming): string | undefined => {
    const u = new URL(e.name);
    // Absent when the build inlines them into index.html (web/inline-assets.ts).
    if (u.pathname.endsWith(".js")) return "script";
    if (u.pathname.endsWith(".css")) return "css";
    if (u.pathname.endsWith("/api/series")) return "series";
    if (u.pathname.endsWith("/api/series/groups")) return "groups";
    if (u.pathname.endsWith("/api/keys")) return "keys";
    if (u.pathname.endsWith("/api/projects")) return "projects";
    if (u.pathname.endsWith("/api/runs")) {
      const limit = Number(u.searchParams.get("limit") ?? "100");
      return limit <= 100 ? "runsFirstPage" : "runsAll";
    }
    // Any other API request the page made on load, by its path.
    if (u.pathname.includes("/api/"))
      return `api ${u.pathname.slice(u.pathname.indexOf("/api/") + 5)} `;
    return undefined;
  };
  for (const e of res) {
    const n = name(e);
    if (!n) continue;
    // More than one means the app did not take index.html's early response (a second query).
    out[`${n}Requests`] = (out[`${n}Requests`] ?? 0) + 1;
    if (`${n}StartAt` in out) continue;
    out[`${n}StartAt`] = r1(e.startTime);
    // A new connection: 0 when the request reused one (on the server, accept waits for the
    // event loop like any request).
    out[`${n}ConnectMs`] = r1(e.connectEnd - e.connectStart);
    out[`${n}RequestSentAt`] = r1(e.requestStart);
    out[`${n}FirstByteAt`] = r1(e.responseStart);
    out[`${n}ResponseEndAt`] = r1(e.responseEnd);
    out[`${n}ServerWaitMs`] = r1(e.responseStart - e.requestStart);
    out[`${n}Bytes`] = e.encodedBodySize;
    // The handler's own time (the server's `Server-Timing: app`): the rest of the wait is
    // queueing and the network stack.
    const app = e.serverTiming.find((t) => t.name === "app");
    if (app) out[`${n}ServerWorkMs`] = r1(app.duration);
  }
  for (const m of performance.getEntriesByType("mark"))
    if (m.name.startsWith("amltk:")) out[`mark ${m.name.slice(6)}`] = r1(m.startTime);
  return out;
}

/** Per field, the median over page loads. */
export function medians(rows: Record<string, number>[]): Record<string, number> {
  const fields = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(
    fields.map((f) => {
      const xs = rows.map((r) => r[f]).filter((x): x is number => x !== undefined);
      return [f, quantile(xs, 0.5)];
    }),
  );
}
