/**
 * The runs page's controls: the toolbar above the table (search, filter, state, grouping,
 * columns, view tabs) and the chart options (x, smoothing, log scale, metrics). They read and
 * write the view state in the hash and call back into the page to redraw.
 */
import { debounce } from "../debounce.js";
import { h } from "../element.js";

/** The view state in the hash query (see web/README.md). */
export interface ViewState {
  get(key: string, fallback?: string): string;
  /** null or "" removes the key. */
  set(key: string, value: string | null): void;
}

export interface ToolbarHooks {
  /** Every column the loaded runs offer. */
  available: string[];
  /** Tags seen on the loaded runs. */
  tags: string[];
  /** The columns shown now. */
  columns(): string[];
  filterError: HTMLElement;
  /** Query the server again (search, filter, state changed). */
  reload(): void;
  redrawTable(): void;
  /** Grouping changed: table and charts. */
  regroup(): void;
  switchView(view: string): void;
}

/** x axis, smoothing, log scale and metric keys; `rerender` rebuilds panels, `redraw` updates them. */
export function chartControls(v: ViewState, on: { rerender(): void; redraw(): void }): HTMLElement {
  const rerender = () => on.rerender();
  const smoothOut = h("output", null, v.get("smooth", "0"));
  return h(
    "div",
    { class: "controls" },
    h(
      "label",
      null,
      "x ",
      h(
        "select",
        {
          name: "x",
          onchange: (e: Event) => {
            v.set("x", (e.target as HTMLSelectElement).value);
            rerender();
          },
        },
        ...["step", "relative", "time"].map((x) =>
          h("option", { value: x, selected: x === v.get("x", "step") }, x),
        ),
      ),
    ),
    h(
      "label",
      null,
      "smoothing ",
      h("input", {
        type: "range",
        name: "smooth",
        min: 0,
        max: 0.99,
        step: 0.01,
        value: v.get("smooth", "0"),
        oninput: debounce((e: Event) => {
          const w = (e.target as HTMLInputElement).value;
          smoothOut.textContent = w;
          v.set("smooth", w === "0" ? null : w);
          on.redraw();
        }, 60),
      }),
      smoothOut,
    ),
    h(
      "label",
      null,
      h("input", {
        type: "checkbox",
        name: "log",
        checked: v.get("log") === "1",
        onchange: (e: Event) => {
          v.set("log", (e.target as HTMLInputElement).checked ? "1" : null);
          rerender();
        },
      }),
      " log y",
    ),
    h(
      "label",
      { title: "the band around each group's mean (grouped charts)" },
      "band ",
      h(
        "select",
        {
          name: "band",
          onchange: (e: Event) => {
            const b = (e.target as HTMLSelectElement).value;
            v.set("band", b === "minmax" ? null : b);
            rerender();
          },
        },
        ...[
          ["minmax", "min–max"],
          ["std", "±1 std"],
          ["pct", "10–90th pct"],
          ["none", "none"],
        ].map(([b, label]) =>
          h("option", { value: b, selected: b === v.get("band", "minmax") }, label!),
        ),
      ),
    ),
    h(
      "label",
      null,
      "metrics ",
      h("input", {
        name: "keys",
        placeholder: "all (comma-separated)",
        value: v.get("keys"),
        onchange: (e: Event) => {
          v.set("keys", (e.target as HTMLInputElement).value.replace(/\s+/g, ""));
          rerender();
        },
      }),
    ),
  );
}

/** Search, filter, state, group by, column chooser and the charts/sweep tabs. */
export function toolbar(v: ViewState, on: ToolbarHooks): HTMLElement {
  const all = on.available;
  const cur = new Set(on.columns());
  const input = (name: string, placeholder: string, width: string) =>
    h("input", {
      name,
      placeholder,
      value: v.get(name),
      style: `width:${width}`,
      onkeydown: (e: Event) => {
        if ((e as KeyboardEvent).key === "Enter") (e.target as HTMLInputElement).blur();
      },
      onchange: (e: Event) => {
        v.set(name, (e.target as HTMLInputElement).value.trim());
        on.reload();
      },
    });
  return h(
    "div",
    { class: "toolbar" },
    input("q", "search name, id, tag", "12em"),
    input("f", "filter: lr > 0.01; summary.cost < 1", "22em"),
    h(
      "select",
      {
        name: "state",
        onchange: (e: Event) => {
          v.set("state", (e.target as HTMLSelectElement).value);
          on.reload();
        },
      },
      ...["", "running", "finished", "failed", "crashed", "pruned"].map((s) =>
        h("option", { value: s, selected: s === v.get("state") }, s || "any state"),
      ),
    ),
    on.tags.length > 0 || v.get("tag")
      ? h(
          "select",
          {
            name: "tag",
            onchange: (e: Event) => {
              v.set("tag", (e.target as HTMLSelectElement).value);
              on.reload();
            },
          },
          ...["", ...new Set([...on.tags, ...v.get("tag").split(",").filter(Boolean)])].map((t) =>
            h("option", { value: t, selected: t === v.get("tag") }, t || "any tag"),
          ),
        )
      : null,
    h(
      "select",
      {
        name: "by",
        onchange: (e: Event) => {
          v.set("by", (e.target as HTMLSelectElement).value);
          on.regroup();
        },
      },
      ...["", "group", "tags", ...all.filter((c) => c.startsWith("config."))].map((b) =>
        h("option", { value: b, selected: b === v.get("by") }, b ? `group by ${b}` : "no grouping"),
      ),
    ),
    h(
      "details",
      { class: "columns" },
      h("summary", null, "columns"),
      h(
        "div",
        { class: "menu" },
        ...all.map((c) =>
          h(
            "label",
            null,
            h("input", {
              type: "checkbox",
              name: `col:${c}`,
              checked: cur.has(c),
              onchange: (e: Event) => {
                const next = on.columns().filter((x) => x !== c);
                if ((e.target as HTMLInputElement).checked) next.push(c);
                v.set("cols", next.join(","));
                on.redrawTable();
              },
            }),
            ` ${c}`,
          ),
        ),
      ),
    ),
    h(
      "span",
      { class: "tabs" },
      ...[
        ["charts", "charts"],
        ["hpo", "sweep"],
      ].map(([view, label]) =>
        h(
          "button",
          {
            class: (v.get("view") || "charts") === view ? "on" : "",
            "data-view": view,
            onclick: () => on.switchView(view!),
          },
          label!,
        ),
      ),
    ),
    on.filterError,
  );
}
