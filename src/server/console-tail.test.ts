import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, T0, type TestServer } from "./server.test-helpers.js";

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

describe("GET /api/runs/:id/console", () => {
  it("answers ?tail=N with the last N lines and always says the total", async () => {
    ts = await startTestServer();
    await ts.store.createRun({ id: "c1", project: "p", name: "c1", createdAt: T0 });
    const lines = Array.from({ length: 25 }, (_, i) => ({
      stream: i % 2 === 0 ? ("stdout" as const) : ("stderr" as const),
      timestamp: T0 / 1000 + i,
      text: `line ${i}`,
    }));
    await ts.store.appendConsole("c1", lines);

    const tail = (await ts.call("GET", "/api/runs/c1/console?tail=3")).body;
    expect(tail.lines.map((l: { text: string }) => l.text)).toEqual([
      "line 22",
      "line 23",
      "line 24",
    ]);
    expect(tail).toMatchObject({ offset: 22, total: 25 });

    const more = (await ts.call("GET", "/api/runs/c1/console?tail=100")).body;
    expect(more).toMatchObject({ offset: 0, total: 25 });
    expect(more.lines).toHaveLength(25);

    const none = (await ts.call("GET", "/api/runs/c1/console?tail=0")).body;
    expect(none).toEqual({ lines: [], offset: 25, total: 25 });

    const paged = (await ts.call("GET", "/api/runs/c1/console?offset=5&limit=2")).body;
    expect(paged).toMatchObject({ offset: 5, total: 25 });
    expect(paged.lines.map((l: { text: string }) => l.text)).toEqual(["line 5", "line 6"]);

    const bad = await ts.call("GET", "/api/runs/c1/console?tail=-1");
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("tail");
  });
});
