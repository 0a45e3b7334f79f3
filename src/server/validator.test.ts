/**
 * The validator layer: schema issues become the API's 400s, naming the field as docs/api.md
 * does, and JSON bodies keep their NaN/Infinity tags. Routes are covered end to end by
 * write-api, read-api, request-guard and the fuzz test; these pin the mapping itself.
 */
import { Hono } from "hono";
import * as v from "valibot";
import { afterEach, describe, expect, it } from "vitest";
import { ApiError, toApiError } from "./errors.js";
import { checkOps } from "./history-check.js";
import {
  anyNumber,
  batchSchema,
  createRequestSchema,
  historyQuerySchema,
  patchRequestSchema,
  samplesSchema,
  seriesSchema,
} from "./request-schemas.js";
import { startTestServer, type TestServer } from "./server.test-helpers.js";
import { jsonBody, parseOr400 } from "./validator.js";

const W = "writer-0001";
const run = { project: "p", name: "n", createdAt: 1 };

/** The 400 that parsing `input` throws, as `field | message`. */
function refusal(schema: v.GenericSchema, input: unknown, prefix?: (f: string) => string) {
  try {
    parseOr400(schema, input, prefix);
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    const err = e as ApiError;
    expect(err.status).toBe(400);
    expect(err.message.startsWith(`${err.field}: `)).toBe(true);
    return `${err.field} | ${err.message.slice(`${err.field}: `.length)}`;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe("parseOr400", () => {
  it("names the field at fault with the API's words", () => {
    const cases: [v.GenericSchema, unknown, string][] = [
      [batchSchema, 5, "body | must be an object, got number"],
      [batchSchema, { writer: "w", ops: [] }, "writer | must match [A-Za-z0-9_-]{8,64}"],
      [batchSchema, { writer: W }, "ops | is required"],
      [
        batchSchema,
        { writer: W, ops: [{ seq: 0, type: "patch", patch: {} }] },
        "ops[0].seq | must be a positive integer, got 0",
      ],
      [
        batchSchema,
        { writer: W, ops: [{ seq: 1, type: "drop" }] },
        'ops[0].type | must be one of create, history, history_cols, system, console, patch; got "drop"',
      ],
      [
        batchSchema,
        { writer: W, ops: [{ seq: 1, type: "create", run: { ...run, project: 3 } }] },
        "ops[0].run.project | must be a string, got number",
      ],
      [
        batchSchema,
        { writer: W, ops: [{ seq: 1, type: "history", rows: {} }] },
        "ops[0].rows | must be an array, got object",
      ],
      // a bad key is named at its record: the key itself may be empty or 10 kB long
      [
        batchSchema,
        {
          writer: W,
          ops: [{ seq: 1, type: "system", samples: [{ timestamp: 1, values: { "": 1 } }] }],
        },
        "ops[0].samples[0].values | key must be 1..512 characters",
      ],
      // an unknown key of a patch is named: the key is the fault
      [
        batchSchema,
        { writer: W, ops: [{ seq: 1, type: "patch", patch: { id: "x" } }] },
        "ops[0].patch.id | is not a field a writer may change",
      ],
      [seriesSchema, { runs: ["../etc"], keys: [] }, "runs[0] | must match [A-Za-z0-9_.-]{1,128}"],
      [historyQuerySchema, {}, "key | is required"],
      [
        historyQuerySchema,
        { key: "k", limit: "12abc" },
        'limit | must be an integer in 0..100000, got "12abc"',
      ],
    ];
    for (const [schema, input, want] of cases) expect(refusal(schema, input)).toBe(want);
  });

  it("writes body. before an op's fields on single-op routes, not before the envelope", () => {
    const inBody = (f: string) => (["writer", "seq", "resume"].includes(f) ? "" : "body.");
    expect(refusal(createRequestSchema, { ...run, project: "" }, inBody)).toBe(
      "body.project | must not be empty",
    );
    expect(refusal(createRequestSchema, { ...run, resume: 1 }, inBody)).toBe(
      "resume | must be a boolean",
    );
    expect(refusal(patchRequestSchema, { seq: -1 }, inBody)).toBe(
      "seq | must be a positive integer, got -1",
    );
    expect(refusal(patchRequestSchema, [], inBody)).toBe("body | must be an object, got array");
  });

  it("keeps system metrics named like Object members, and names a bad value at its key", () => {
    const values = JSON.parse('{"constructor": 1, "__proto__": 2, "cpu": 3}');
    const [sample] = parseOr400(samplesSchema, [{ timestamp: 1, values }]);
    expect(Object.keys(sample.values)).toEqual(["constructor", "__proto__", "cpu"]);
    expect(refusal(samplesSchema, [{ timestamp: 1, values: { cpu: "3" } }])).toBe(
      "[0].values.cpu | not a number",
    );
  });

  it("refuses config nested deeper than 32 levels, and keeps __proto__ keys as data", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { a: deep };
    expect(refusal(patchRequestSchema, { config: deep })).toBe(
      "config | nested deeper than 32 levels",
    );
    const summary = JSON.parse('{"__proto__": {"x": 1}}');
    const out = parseOr400(patchRequestSchema, { summary });
    expect(Object.getOwnPropertyDescriptor(out.summary, "__proto__")?.value).toEqual({ x: 1 });
  });
});

describe("checkOps (the hand-checked hot path)", () => {
  it("checks the points of history ops and the order of seq, naming the op", () => {
    const ops = (o: unknown[]) => parseOr400(batchSchema, { writer: W, ops: o }).ops as never;
    const row = { step: 0, runtime: 0, timestamp: 1, values: { loss: 1 } };
    expect(() =>
      checkOps(
        ops([{ seq: 1, type: "history", rows: [row, { ...row, step: -1 }] }]),
        (i) => `ops[${i}]`,
      ),
    ).toThrow(expect.objectContaining({ field: "ops[0].rows[1].step" }));
    expect(() =>
      checkOps(
        ops([
          { seq: 2, type: "history", rows: [] },
          { seq: 2, type: "history", rows: [] },
        ]),
        (i) => `ops[${i}]`,
      ),
    ).toThrow(expect.objectContaining({ field: "ops[1].seq" }));
    const fine = ops([{ seq: 1, type: "history", rows: [row] }]);
    expect(checkOps(fine, (i) => `ops[${i}]`)).toBe(fine);
  });
});

describe("jsonBody", () => {
  const app = new Hono();
  app.onError((e) => {
    const err = toApiError(e);
    return Response.json(err.toJSON(), { status: err.status });
  });
  app.post("/echo", jsonBody(v.object({ x: anyNumber })), (c) => {
    const { x } = c.req.valid("json");
    return c.text(String(x));
  });
  const post = (body: string) =>
    app.request("/echo", { method: "POST", body, headers: { "content-type": "application/json" } });

  it("restores NaN/Infinity tags before the schema sees the body", async () => {
    expect(await (await post('{"x":{"$amltk_num":"NaN"}}')).text()).toBe("NaN");
    expect(await (await post('{"x":{"$amltk_num":"-Infinity"}}')).text()).toBe("-Infinity");
  });

  it("answers bad and empty JSON with bad_json naming body, and bad shape with invalid", async () => {
    for (const body of ["{nope", ""]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatchObject({ code: "bad_json", field: "body" });
    }
    const res = await post('{"x":"1"}');
    expect(res.status).toBe(400);
    expect((await res.json()).error).toEqual({
      code: "invalid",
      message: "x: not a number",
      field: "x",
    });
  });
});

describe("query validation on the server", () => {
  let ts: TestServer | undefined;
  afterEach(async () => {
    await ts?.stop();
    ts = undefined;
  });

  it("takes null for a create's optional fields and drops keys it does not know", async () => {
    ts = await startTestServer();
    const nulls = {
      host: null,
      pid: null,
      entity: null,
      group: null,
      notes: null,
      ownerStart: null,
    };
    const created = await ts.call("POST", "/api/runs", { id: "n1", ...run, ...nulls, colour: 1 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: "n1", entity: null, group: null, notes: null });
    expect(created.body).not.toHaveProperty("colour");
  });

  it("names the parameter of a bad query and applies the defaults of a missing one", async () => {
    ts = await startTestServer();
    expect((await ts.call("POST", "/api/runs", { id: "q1", ...run })).status).toBe(201);
    await ts.call("POST", "/api/runs/q1/history", {
      rows: [0, 1, 2].map((s) => ({ step: s, runtime: s, timestamp: 1 + s, values: { loss: s } })),
    });
    const bad = await ts.call("GET", "/api/runs/q1/history?key=loss&limit=-1");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "invalid", field: "limit" });
    expect((await ts.call("GET", "/api/runs/q1/history")).body.error.field).toBe("key");
    expect((await ts.call("GET", "/api/runs/q1/console?offset=x")).body.error.field).toBe("offset");
    const twice = await ts.call("GET", "/api/runs/q1/console?limit=1&limit=2");
    expect(twice.body.error).toMatchObject({
      field: "limit",
      message: "limit: given 2 times; give it once",
    });
    const states = await ts.call("GET", "/api/runs?state=running,zombie");
    expect(states.body.error).toMatchObject({ field: "state" });
    expect(states.body.error.message).toContain('got "zombie"');
    const limits = await ts.call("GET", "/api/runs?limit=1&limit=2");
    expect(limits.body.error).toMatchObject({ field: "limit" });
    const tagged = await ts.call("GET", "/api/runs?tag=a&tag=b&limit=5");
    expect(tagged.status).toBe(200);
    const all = await ts.call("GET", "/api/runs/q1/history?key=loss&minStep=1");
    expect(all.body.step).toEqual([1, 2]);
  });
});
