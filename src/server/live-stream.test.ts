import { afterEach, describe, expect, it } from "vitest";
import { skipBecause } from "../../test/skip.js";
import { decodeJson } from "../shared/json-numbers.js";
import { PostgresStore } from "../store/postgres/index.js";
import { SqliteStore } from "../store/sqlite/index.js";
import type { Store } from "../store/types.js";
import {
  NO_POSTGRES,
  POSTGRES_BACKEND,
  rows,
  SQLITE_BACKEND,
  type StoreBackend,
  startServerOn,
  type TestServer,
} from "./server.test-helpers.js";

let ts: TestServer<Store> | undefined;
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

/**
 * A store backend, and a second connection to the same store: the writer the server does not
 * know about (an offline tracker on the SQLite file, another server process on PostgreSQL).
 */
interface LiveCase {
  backend: StoreBackend;
  skip: boolean;
  otherWriter(t: TestServer<Store>): Promise<Store>;
}

const CASES: LiveCase[] = [
  { backend: SQLITE_BACKEND, skip: false, otherWriter: async (t) => SqliteStore.open(t.dir) },
  {
    backend: POSTGRES_BACKEND,
    skip: NO_POSTGRES,
    otherWriter: async (t) => PostgresStore.open((t.store as PostgresStore).url),
  },
];

describe.each(CASES)("server live stream ($backend.name)", ({ backend, skip, otherWriter }) => {
  const skipped = skipBecause(skip, `live stream on ${backend.name}`, "no PostgreSQL here");
  it.skipIf(skipped)(
    "streams run changes and new points written by another connection",
    async () => {
      ts = await startServerOn<Store>(backend);
      const ctl = new AbortController();
      const res = await fetch(`${ts.server.url}/api/stream?project=live`, { signal: ctl.signal });
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const reader = res.body!.getReader();
      const events: { event: string; data: any }[] = [];
      let buf = "";
      const waitFor = async (pred: () => boolean) => {
        while (!pred()) {
          const { value, done } = await reader.read();
          if (done) throw new Error("stream ended");
          buf += new TextDecoder().decode(value);
          let i = buf.indexOf("\n\n");
          while (i >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
            const data = block
              .split("\n")
              .filter((l) => l.startsWith("data: "))
              .map((l) => l.slice(6))
              .join("\n");
            events.push({ event, data: decodeJson(data) });
            i = buf.indexOf("\n\n");
          }
        }
      };
      await waitFor(() => events.some((e) => e.event === "ping"));
      const writer = await otherWriter(ts);
      try {
        await writer.createRun({ id: "l1", project: "live", name: "l", createdAt: Date.now() });
        await writer.createRun({
          id: "x1",
          project: "elsewhere",
          name: "x",
          createdAt: Date.now(),
        });
        await writer.appendHistory("l1", rows(0, 3));
        await waitFor(
          () => events.filter((e) => e.event === "history").flatMap((e) => e.data).length >= 6,
        );
        const pts = events.filter((e) => e.event === "history").flatMap((e) => e.data);
        expect(
          pts.filter((p: { key: string }) => p.key === "loss").map((p: { step: number }) => p.step),
        ).toEqual([0, 1, 2]);
        expect(events.some((e) => e.event === "run" && e.data.run.id === "x1")).toBe(false);
        // more rows in one tick than are streamed: the last ones come, and a hint to refetch
        await writer.appendHistory("l1", rows(3, 500));
        await waitFor(() =>
          events.some((e) => e.event === "run" && e.data.historyTruncated === true),
        );
        await waitFor(() =>
          events.some(
            (e) => e.event === "history" && e.data.some((p: { step: number }) => p.step === 502),
          ),
        );
        const late = events.filter((e) => e.event === "history").flatMap((e) => e.data);
        expect(late.some((p: { step: number }) => p.step === 3)).toBe(false);
        await writer.updateRun("l1", { state: "finished", exitCode: 0 });
        await waitFor(() =>
          events.some((e) => e.event === "run" && e.data.run.state === "finished"),
        );
      } finally {
        await writer.close();
        ctl.abort();
      }
    },
  );
});
