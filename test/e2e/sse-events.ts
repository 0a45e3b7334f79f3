/**
 * A live-update stream (`GET /api/stream`, server-sent events) read by a test: every event
 * decoded (NaN codec included) and kept, and a bounded wait for the one a test expects.
 */
import { decodeJson } from "../../src/shared/json-numbers.js";

export interface StreamEvent {
  event: string;
  data: unknown;
}

export interface EventStream {
  /** Every event so far, in order. */
  readonly events: StreamEvent[];
  /** Resolves once `pred` holds over the events; rejects after `timeoutMs` or at stream end. */
  waitFor(
    what: string,
    pred: (events: StreamEvent[]) => boolean,
    timeoutMs?: number,
  ): Promise<void>;
  close(): void;
}

/** Opens `url` (a `/api/stream` URL) and resolves once the server's first ping arrived. */
export async function openEventStream(url: string): Promise<EventStream> {
  const ctl = new AbortController();
  const res = await fetch(url, { signal: ctl.signal });
  if (!res.ok || !res.headers.get("content-type")?.includes("text/event-stream")) {
    throw new Error(`${url}: ${res.status} ${res.headers.get("content-type")}`);
  }
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: StreamEvent[] = [];
  let buf = "";
  /** Reads one piece of the stream into `events`; false at its end. */
  const readMore = async (): Promise<boolean> => {
    const { value, done } = await reader.read();
    if (done) return false;
    buf += value;
    for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
      const data = block
        .split("\n")
        .filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6))
        .join("\n");
      events.push({ event, data: data ? decodeJson(data) : undefined });
    }
    return true;
  };
  const stream: EventStream = {
    events,
    async waitFor(what, pred, timeoutMs = 20_000) {
      const timer = setTimeout(
        () => ctl.abort(new Error(`no ${what} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      try {
        while (!pred(events)) {
          if (!(await readMore())) throw new Error(`the stream ended before ${what}`);
        }
      } catch (err) {
        throw ctl.signal.aborted ? (ctl.signal.reason as Error) : err;
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => ctl.abort(),
  };
  await stream.waitFor("the first ping", (es) => es.some((e) => e.event === "ping"));
  return stream;
}

/** The runs of the `run` events so far, in order. */
export function streamedRuns(events: readonly StreamEvent[]): { id: string; state: string }[] {
  return events
    .filter((e) => e.event === "run")
    .map((e) => (e.data as { run: { id: string; state: string } }).run);
}

/** The points of the `history` events so far, in order. */
export function streamedPoints(
  events: readonly StreamEvent[],
): { run: string; key: string; step: number; value: number | boolean }[] {
  return events
    .filter((e) => e.event === "history")
    .flatMap((e) => e.data as { run: string; key: string; step: number; value: number }[]);
}
