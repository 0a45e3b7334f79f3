/** Write endpoints (online mode): batch, create/resume, history, system, console, patch. */
import type { Context, Hono } from "hono";
import type { Op } from "../protocol/batch.js";
import type { Store } from "../store/types.js";
import { needProject } from "./access.js";
import { ApiError } from "./errors.js";
import { checkOps, historyRows } from "./history-check.js";
import type { Ingestor, WriteGuard } from "./ingest.js";
import { apiRun, json } from "./read-routes.js";
import {
  batchSchema,
  consoleRequestSchema,
  createRequestSchema,
  historyRequestSchema,
  patchRequestSchema,
  runIdSchema,
  systemRequestSchema,
} from "./request-schemas.js";
import { jsonBody, parseOr400 } from "./validator.js";

/**
 * The exactly-once identity of a single-op request: its `writer` and `seq`, both or neither
 * (neither = seq 1 with no writer, so the ledger is not consulted).
 */
function writerAndSeq(o: { writer?: string; seq?: number }): { writer?: string; seq: number } {
  if (o.writer === undefined && o.seq === undefined) return { seq: 1 };
  if (o.writer === undefined || o.seq === undefined) {
    throw new ApiError(
      400,
      "invalid",
      "writer and seq go together",
      o.writer === undefined ? "writer" : "seq",
    );
  }
  return { writer: o.writer, seq: o.seq };
}

/** The run id of the path. */
const idParam = (c: Context) => parseOr400(runIdSchema, c.req.param("id"), () => "id");

/** Fields of a single-op body other than `writer`, `seq` and `resume` are named `body.<field>`. */
const ENVELOPE = new Set(["writer", "seq", "resume"]);
const inBody = (first: string) => (ENVELOPE.has(first) ? "" : "body.");

/**
 * The header that says a write to a closed (finished, failed or crashed) run that this writer
 * did not write before is meant: without it such a write is a 409 `finished`.
 */
export const ALLOW_CLOSED_HEADER = "x-amltk-allow-finished";

/**
 * What a write may touch: the run's project (or, for a new run, the project its create names)
 * must be one the key may write; a closed run takes writes only from a writer that wrote to it
 * before (its own late data, retries, the spool of a crashed client), a `create` with
 * `resume: true`, or a request carrying {@link ALLOW_CLOSED_HEADER}.
 */
function writeGuard(c: Context, ops: readonly Op[]): WriteGuard {
  const resumes = ops[0]?.type === "create" && ops[0].resume === true;
  const allowClosed = c.req.header(ALLOW_CLOSED_HEADER)?.toLowerCase() === "true";
  return (prev, knownWriter) => {
    if (prev) needProject(c, prev.project, "id");
    for (const op of ops) if (op.type === "create") needProject(c, op.run.project, "project");
    if (prev && prev.state !== "running" && !knownWriter && !resumes && !allowClosed) {
      throw new ApiError(
        409,
        "finished",
        `run ${JSON.stringify(prev.id)} is ${prev.state}; to write to it anyway resume it ` +
          `(create with "resume": true) or send '${ALLOW_CLOSED_HEADER}: true'`,
        "id",
      );
    }
  };
}

export function registerWriteRoutes(
  app: Hono,
  store: Store,
  ingest: Ingestor,
  changed: () => void,
): void {
  // A single-op route's op is its body: a store refusal names "body", not "ops[0]".
  const run = async (
    c: Context,
    id: string,
    writer: string | undefined,
    ops: Op[],
    single = false,
  ) => {
    const field = single ? () => "body" : undefined;
    const res = await ingest.apply(id, writer, ops, field, writeGuard(c, ops));
    if (res.applied > 0) changed();
    return res;
  };

  app.post("/api/runs/:id/batch", jsonBody(batchSchema), async (c) => {
    const id = idParam(c);
    const body = c.req.valid("json");
    // The schema leaves history payloads unchecked; checkOps checks them (the hot path).
    const ops = checkOps(body.ops as Op[], (i) => `ops[${i}]`);
    return json(c, await run(c, id, body.writer, ops));
  });

  app.post("/api/runs", jsonBody(createRequestSchema, inBody), async (c) => {
    const { writer: _w, seq: _s, resume, ...body } = c.req.valid("json");
    const { writer, seq } = writerAndSeq(c.req.valid("json"));
    const id = parseOr400(runIdSchema, body.id, () => "id");
    const existed = (await store.getRun(id)) !== undefined;
    await run(c, id, writer, [{ seq, type: "create", run: body, resume }], true);
    const rec = await store.getRun(id);
    return json(c, apiRun(rec!), existed ? 200 : 201);
  });

  app.post("/api/runs/:id/history", jsonBody(historyRequestSchema), async (c) => {
    const o = c.req.valid("json");
    const { writer, seq } = writerAndSeq(o);
    const rows = historyRows(o.rows, "rows");
    return json(c, await run(c, idParam(c), writer, [{ seq, type: "history", rows }], true));
  });
  app.post("/api/runs/:id/system", jsonBody(systemRequestSchema), async (c) => {
    const o = c.req.valid("json");
    const { writer, seq } = writerAndSeq(o);
    return json(
      c,
      await run(c, idParam(c), writer, [{ seq, type: "system", samples: o.samples }], true),
    );
  });
  app.post("/api/runs/:id/console", jsonBody(consoleRequestSchema), async (c) => {
    const o = c.req.valid("json");
    const { writer, seq } = writerAndSeq(o);
    return json(
      c,
      await run(c, idParam(c), writer, [{ seq, type: "console", lines: o.lines }], true),
    );
  });

  app.patch("/api/runs/:id", jsonBody(patchRequestSchema, inBody), async (c) => {
    const id = idParam(c);
    const { writer: _w, seq: _s, ...patch } = c.req.valid("json");
    const { writer, seq } = writerAndSeq(c.req.valid("json"));
    await run(c, id, writer, [{ seq, type: "patch", patch }], true);
    return json(c, apiRun((await store.getRun(id))!));
  });
}
