/**
 * Live updates: one EventSource per project (`GET /api/stream?project=`), fanned out to the
 * page's listeners. Events (docs/api.md): `run` (a run appeared or changed) and `history`
 * (new points). Pages refetch what they show, throttled, so a burst of points costs
 * one request per interval, not one per point.
 */

export interface LiveEvent {
  type: "run" | "history";
  runIds: string[];
  data: unknown;
}

type Listener = (e: LiveEvent) => void;

let source: EventSource | null = null;
let sourceProject: string | null = null;
const listeners = new Set<Listener>();

/** Run ids an event concerns: `run` carries `{run: RunRecord}`, `history` an array of points. */
function runIdsOf(data: unknown): string[] {
  const items = Array.isArray(data) ? data : [data];
  const ids = new Set<string>();
  for (const d of items) {
    if (!d || typeof d !== "object") continue;
    const r = (d as { run?: unknown }).run;
    if (typeof r === "string") ids.add(r);
    else if (r && typeof r === "object" && typeof (r as { id?: unknown }).id === "string")
      ids.add((r as { id: string }).id);
  }
  return [...ids];
}

function indicator(state: "on" | "off" | "err"): void {
  const el = document.getElementById("live");
  if (el) el.dataset.state = state;
}

/** Subscribes to a project's live stream; returns the unsubscribe function. */
export function subscribe(project: string, fn: Listener): () => void {
  if (sourceProject !== project) {
    source?.close();
    const key = localStorage.getItem("amltk.apiKey");
    // "" is every project (the projects page).
    const q = new URLSearchParams(project ? { project } : {});
    // EventSource cannot send headers; the server also accepts the key as a query parameter.
    if (key) q.set("key", key);
    source = new EventSource(`api/stream?${q}`);
    sourceProject = project;
    source.onopen = () => indicator("on");
    source.onerror = () => indicator("err");
    for (const type of ["run", "history"] as const) {
      source.addEventListener(type, (ev) => {
        let data: unknown = null;
        try {
          data = JSON.parse((ev as MessageEvent<string>).data);
        } catch {
          data = (ev as MessageEvent<string>).data;
        }
        const e: LiveEvent = { type, runIds: runIdsOf(data), data };
        for (const l of listeners) l(e);
      });
    }
  }
  listeners.add(fn);
  return () => {
    listeners.delete(fn);
    if (listeners.size === 0) {
      source?.close();
      source = null;
      sourceProject = null;
      indicator("off");
    }
  };
}

/** Calls `fn` at most once per `ms`, always running a trailing call so the last event counts. */
export function throttle(fn: () => void | Promise<void>, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let pending = false;
  let running = false;
  const fire = async () => {
    timer = null;
    if (running) {
      pending = true;
      return;
    }
    running = true;
    pending = false;
    try {
      await fn();
    } finally {
      running = false;
      if (pending && !timer) timer = setTimeout(fire, ms);
    }
  };
  return () => {
    if (timer) {
      pending = true;
      return;
    }
    timer = setTimeout(fire, ms);
  };
}
