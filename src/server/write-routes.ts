/** Write endpoints (online mode): batch, create/resume, history, system, console, patch. */
import type { Context, Hono } from "hono";
import type { Store } from "../store/types.js";
import { needProject } from "./access.js";
import { ApiError } from "./errors.js";
import type { Ingestor, WriteGuard } from "./ingest.js";
import type { Op } from "./protocol.js";
import { apiRun, json, readJson } from "./read-routes.js";
import {
  batchBody,
  consoleLines,
  createBody,
  historyRows,
  obj,
  runId,
  runPatch,
  seqNo,
  systemSamples,
  writerId,
} from "./validate.js";

/** `writer`/`seq` of a single-op request: both or neither. */
function dedup(o: Record<string, unknown>): { writer?: string; seq: number } {
  if (o.writer === undefined && o.seq === undefined) return { seq: 1 };
  if (o.writer === undefined || o.seq === undefined) {
    throw new ApiError(
      400,
      "invalid",
      "writer and seq go together",
      o.writer === undefined ? "writer" : "seq",
    );
  }
  return { writer: writerId(o.writer), seq: seqNo(o.seq, "seq") };
}

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

  app.post("/api/runs/:id/batch", async (c) => {
    const id = runId(c.req.param("id"));
    const body = batchBody(await readJson(c));
    return json(c, await run(c, id, body.writer, body.ops));
  });

  app.post("/api/runs", async (c) => {
    const o = obj(await readJson(c), "body");
    const { writer, seq } = dedup(o);
    const { writer: _w, seq: _s, resume, ...rest } = o;
    if (resume !== undefined && typeof resume !== "boolean") {
      throw new ApiError(400, "invalid", "resume: must be a boolean", "resume");
    }
    const body = createBody(rest, "body");
    const id = runId(body.id, "id");
    const existed = (await store.getRun(id)) !== undefined;
    await run(c, id, writer, [{ seq, type: "create", run: body, resume: resume === true }], true);
    const rec = await store.getRun(id);
    return json(c, apiRun(rec!), existed ? 200 : 201);
  });

  const single =
    (field: "rows" | "samples" | "lines") =>
    async (c: Context): Promise<Response> => {
      const id = runId(c.req.param("id"));
      const o = obj(await readJson(c), "body");
      const { writer, seq } = dedup(o);
      const op: Op =
        field === "rows"
          ? { seq, type: "history", rows: historyRows(o.rows, "rows") }
          : field === "samples"
            ? { seq, type: "system", samples: systemSamples(o.samples, "samples") }
            : { seq, type: "console", lines: consoleLines(o.lines, "lines") };
      return json(c, await run(c, id, writer, [op], true));
    };
  app.post("/api/runs/:id/history", single("rows"));
  app.post("/api/runs/:id/system", single("samples"));
  app.post("/api/runs/:id/console", single("lines"));

  app.patch("/api/runs/:id", async (c) => {
    const id = runId(c.req.param("id"));
    const o = obj(await readJson(c), "body");
    const { writer, seq } = dedup(o);
    const { writer: _w, seq: _s, ...patch } = o;
    await run(c, id, writer, [{ seq, type: "patch", patch: runPatch(patch, "body") }], true);
    return json(c, apiRun((await store.getRun(id))!));
  });
}
