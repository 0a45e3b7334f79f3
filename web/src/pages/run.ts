/**
 * One run: state, exit code, metadata, tags, notes, config and summary, a chart per history
 * key, system metric charts and the console output. Updates live while the run is running.
 */
import { ansiNodes } from "../ansi.js";
import {
  type ConsoleLine,
  consoleLines,
  getRun,
  type Run,
  type SeriesData,
  systemSeries,
  type XMode,
} from "../api.js";
import { ChartGrid } from "../charts/grid.js";
import { createPanel, type Panel } from "../charts/panel.js";
import { colorFor } from "../colors.js";
import { h } from "../element.js";
import { fmt, fmtDuration, fmtTime } from "../format.js";
import { subscribe, throttle } from "../live.js";
import { markPainted } from "../perf.js";
import { replaceParams, runsHref } from "../router.js";
import { flatEntries } from "../run-fields.js";
import { runStatus } from "../run-status.js";
import { stateBadge } from "../runs-table.js";
import { runEditor } from "./run-edit.js";

const CONSOLE_PAGE = 10_000;
const CONSOLE_KEEP = 20_000;

/** One console line: its time (UTC), then its text with ANSI colours rendered. */
function consoleLine(l: ConsoleLine): HTMLElement {
  return h(
    "span",
    { class: `line${l.stream === "stderr" ? " err" : ""}`, "data-text": l.text.toLowerCase() },
    h("span", { class: "ts" }, `${fmtTime(l.time).slice(11)} `),
    ...ansiNodes(l.text),
    "\n",
  );
}

/** Hides the console lines without `needle` (case-insensitive); says how many match. */
function searchConsole(box: HTMLElement, needle: string, count: HTMLElement): void {
  const q = needle.trim().toLowerCase();
  let n = 0;
  for (const el of box.querySelectorAll<HTMLElement>("span.line")) {
    const hit = !q || (el.dataset.text ?? "").includes(q);
    el.hidden = !hit;
    if (hit) n++;
  }
  count.textContent = q ? `${n} matching` : "";
}

/**
 * A key/value table; nested config is flattened to dotted keys, as the runs table's columns
 * and the filter box name them (`schedule.kind`); summary values stay whole (as its columns).
 */
function kvTable(nested: Record<string, unknown>, name: string): HTMLElement {
  const obj = name === "config" ? Object.fromEntries(flatEntries(nested)) : nested;
  const keys = Object.keys(obj).sort();
  if (keys.length === 0) return h("p", { class: "muted" }, `no ${name}`);
  return h(
    "table",
    { class: "kv", "data-kv": name },
    h(
      "tbody",
      null,
      ...keys.map((k) =>
        h("tr", null, h("th", { class: "kv-k" }, k), h("td", { class: "kv-v" }, fmt(obj[k]))),
      ),
    ),
  );
}

function header(run: Run): HTMLElement {
  const end = run.finishedAt ?? (run.state === "running" ? Date.now() : run.heartbeatAt);
  const meta: [string, unknown][] = [
    ["id", run.id],
    ["project", h("a", { href: runsHref(run.project) }, run.project)],
    ["group", run.group],
    ["job type", run.jobType],
    ["exit code", run.exitCode],
    ["host", run.host],
    ["pid", run.pid],
    ["created", fmtTime(run.createdAt)],
    ["finished", fmtTime(run.finishedAt)],
    ["duration", fmtDuration((end - run.createdAt) / 1000)],
    ["steps", run.nextStep],
  ];
  return h(
    "div",
    { class: "run-head" },
    h(
      "h2",
      null,
      h("span", { class: "sw", style: `background:${colorFor(run.id)}` }),
      run.name,
      " ",
      stateBadge(runStatus(run), run.exitCode),
    ),
    h(
      "dl",
      { class: "meta" },
      ...meta
        .filter(([, v]) => v !== null && v !== undefined && v !== "")
        .flatMap(([k, v]) => [
          h("dt", null, k),
          h("dd", { "data-field": k }, v instanceof Node ? v : fmt(v)),
        ]),
    ),
    h("div", { class: "tags" }, ...run.tags.map((t) => h("span", { class: "tag" }, t))),
    run.notes ? h("p", { class: "notes" }, run.notes) : null,
  );
}

export async function runPage(root: HTMLElement, id: string, params: URLSearchParams) {
  let run = await getRun(id);
  const head = h("div");
  const config = h("div");
  const summary = h("div");
  const systemBox = h("div", { class: "grid" });
  const consoleBox = h("pre", { class: "console" });
  const consoleCount = h("span", { class: "muted", id: "console-count" });
  const xMode = (params.get("x") as XMode) || "step";
  const grid = new ChartGrid({
    runs: [run],
    keys: [],
    xMode,
    smoothing: Number(params.get("smooth") ?? "0"),
    log: params.get("log") === "1",
    grouping: null,
  });
  const systemPanels = new Map<string, Panel>();

  const xSelect = h(
    "select",
    {
      name: "x",
      onchange: (e: Event) => {
        params.set("x", (e.target as HTMLSelectElement).value);
        replaceParams(params);
        grid.clear();
        void grid.load({ xMode: params.get("x") as XMode });
      },
    },
    ...["step", "relative", "time"].map((x) => h("option", { value: x, selected: x === xMode }, x)),
  );

  function drawMeta(): void {
    head.replaceChildren(header(run));
    config.replaceChildren(kvTable(run.config ?? {}, "config"));
    summary.replaceChildren(kvTable(run.summary ?? {}, "summary"));
  }

  async function drawSystem(): Promise<void> {
    const all: SeriesData[] = await systemSeries(id);
    if (all.length === 0 && systemPanels.size === 0) {
      systemBox.replaceChildren(h("p", { class: "muted" }, "no system metrics"));
      return;
    }
    if (systemPanels.size === 0) systemBox.replaceChildren();
    for (const s of all) {
      const opts = {
        title: s.key,
        xMode: "time" as const,
        smoothing: 0,
        log: false,
        label: () => s.key,
        color: () => "#2ca02c",
        height: 160,
      };
      const p = systemPanels.get(s.key);
      if (p) p.update({ runs: [s] }, opts);
      else {
        const np = createPanel({ runs: [s] }, opts);
        systemPanels.set(s.key, np);
        systemBox.append(np.el);
      }
    }
  }

  // Console lines are appended, never refetched: live updates read from where we are.
  let consoleRead = 0;
  async function drawConsole(): Promise<void> {
    const stick = consoleBox.scrollTop + consoleBox.clientHeight >= consoleBox.scrollHeight - 4;
    for (;;) {
      const lines = await consoleLines(id, consoleRead, CONSOLE_PAGE);
      if (consoleRead === 0 && lines.length > 0) consoleBox.replaceChildren();
      consoleRead += lines.length;
      consoleBox.append(...lines.map(consoleLine));
      if (lines.length < CONSOLE_PAGE) break;
    }
    // A very long log keeps its tail in the page.
    while (consoleBox.childElementCount > CONSOLE_KEEP) consoleBox.firstElementChild!.remove();
    if (consoleRead === 0) consoleBox.textContent = "(no console output captured)";
    // Follow the tail like `tail -f`, unless the user scrolled up to read.
    if (stick) consoleBox.scrollTop = consoleBox.scrollHeight;
  }

  drawMeta();
  root.replaceChildren(
    head,
    runEditor(
      () => run,
      (r) => {
        run = r;
        drawMeta();
      },
    ),
    h(
      "div",
      { class: "row" },
      h("section", { class: "half" }, h("h3", null, "config"), config),
      h("section", { class: "half" }, h("h3", null, "summary"), summary),
    ),
    h("h3", null, "history ", h("label", { class: "muted" }, "x ", xSelect)),
    grid.el,
    h("h3", null, "system"),
    systemBox,
    h(
      "h3",
      null,
      "console (UTC) ",
      h("input", {
        name: "console-search",
        type: "search",
        placeholder: "search",
        oninput: (e: Event) =>
          searchConsole(consoleBox, (e.target as HTMLInputElement).value, consoleCount),
      }),
      " ",
      consoleCount,
    ),
    consoleBox,
  );
  markPainted("amltk:run-page");
  await Promise.all([grid.load(), drawSystem(), drawConsole()]);

  const refresh = throttle(async () => {
    run = await getRun(id);
    drawMeta();
    await Promise.all([grid.load({ runs: [run] }), drawSystem(), drawConsole()]);
  }, 1000);
  const unsubscribe = subscribe(run.project, (e) => {
    if (e.runIds.includes(id)) refresh();
  });
  return () => {
    unsubscribe();
    grid.clear();
    for (const p of systemPanels.values()) p.destroy();
  };
}
