/**
 * The W&B protocol on our server (docs/api.md, "W&B protocol"): `POST /graphql` (the
 * operations the W&B client sends, by name), `POST /files/{entity}/{project}/{run}/file_stream`,
 * run file uploads and reads, and a sink for the client's own telemetry. Keys as on `/api/*`
 * (Bearer, or Basic `api:<key>` as the W&B client sends), with their scopes and projects.
 */
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { LIMITS } from "../../protocol/batch.js";
import {
  createRunFilesSchema,
  FILE_STREAM_FILES,
  fileStreamAnswer,
  fileStreamRequestSchema,
  graphqlError,
  graphqlId,
  graphqlRequestSchema,
  operationOf,
} from "../../protocol/wandb/index.js";
import type { Store } from "../../store/types.js";
import { grantOf, keyAuth, needProject } from "../access.js";
import type { ApiKeys } from "../auth.js";
import { ApiError } from "../errors.js";
import { json } from "../read-routes.js";
import { parseOr400, readJson } from "../validator.js";
import {
  bucketOf,
  DEFAULT_ENTITY,
  lineCount,
  resumeStatus,
  upsertBucket,
  upsertVariables,
} from "./buckets.js";
import { applyFileStream } from "./file-stream.js";
import { RunFiles } from "./run-files.js";

/** What the W&B routes need from `createServer`. */
export interface WandbRoutesOptions {
  store: Store;
  /** Where keys are checked; `undefined` with `auth` on refuses keyed requests. */
  keys: ApiKeys | undefined;
  /** False when the server runs without auth (`--no-auth`). */
  auth: boolean;
  readsNeedKey: boolean;
  /** The files area (see run-files.ts); undefined: uploads are refused. */
  filesDir: string | undefined;
  /** Tells the live watcher that data changed. */
  changed: () => void;
}

function isJson(c: Context): boolean {
  return c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase() === "application/json";
}

/** W&B's writes carry JSON; anything else could be a cross-site form (see guard.ts). */
function needJson(c: Context): void {
  if (!isJson(c)) {
    const type = c.req.header("content-type") ?? "";
    throw new ApiError(
      415,
      "unsupported_media_type",
      `Content-Type must be application/json, got ${JSON.stringify(type)}`,
      "content-type",
    );
  }
}

const limit = bodyLimit({
  maxSize: LIMITS.bodyBytes,
  onError: () => {
    throw new ApiError(413, "too_large", `request body over ${LIMITS.bodyBytes} bytes`);
  },
});

const NO_FILES_AREA =
  "run files are not kept by this server: its store has no folder (files live beside a SQLite store)";

const UPLOAD_PATH = /^\/files\/[^/]+\/[^/]+\/[^/]+\/upload\//;

function transactional(store: Store): NonNullable<Store["transaction"]> {
  return store.transaction!.bind(store);
}

/**
 * Mounts the W&B protocol routes on `app`.
 *
 * @example
 * ```ts
 * registerWandbRoutes(app, { store, keys, auth: true, readsNeedKey: false, filesDir, changed });
 * ```
 */
export function registerWandbRoutes(app: Hono, o: WandbRoutesOptions): void {
  const files = new RunFiles(o.filesDir);
  const tx = transactional(o.store);
  app.use("/graphql", limit);
  app.use("/files/*", (c, next) => (UPLOAD_PATH.test(c.req.path) ? next() : limit(c, next)));
  if (o.auth) {
    const writes = keyAuth(o.keys, { readsNeedKey: true });
    const reads = keyAuth(o.keys, { readsNeedKey: o.readsNeedKey });
    app.use("/graphql", writes);
    app.use("/files/*", (c, next) =>
      UPLOAD_PATH.test(c.req.path)
        ? next()
        : c.req.method === "GET"
          ? reads(c, next)
          : writes(c, next),
    );
  }

  app.post("/graphql", async (c) => {
    needJson(c);
    const req = parseOr400(graphqlRequestSchema, await readJson(c), () => "body.");
    const op = operationOf(req);
    const vars = req.variables ?? {};
    switch (op) {
      case "Viewer": {
        const user = grantOf(c)?.id ?? DEFAULT_ENTITY;
        const viewer = {
          id: graphqlId("User", user),
          entity: DEFAULT_ENTITY,
          username: user,
          email: null,
          flags: "{}",
          teams: { edges: [] },
        };
        return json(c, { data: { viewer } });
      }
      case "ServerFeaturesQuery":
        return json(c, { data: { serverInfo: { features: [] } } });
      case "OrganizationCoreWeaveOrganizationID":
        return json(c, { data: { entity: { organization: null } } });
      case "UpsertBucket": {
        const v = upsertVariables(vars);
        needProject(c, v.project, "variables.project");
        const { run, lines, inserted } = await tx(async (t) => {
          const up = await upsertBucket(t, v);
          return { ...up, lines: await lineCount(t, up.run.id, FILE_STREAM_FILES.history) };
        });
        o.changed();
        return json(c, { data: { upsertBucket: { bucket: bucketOf(run, lines), inserted } } });
      }
      case "RunResumeStatus": {
        const model = await resumeStatus(o.store, vars, (p) =>
          needProject(c, p, "variables.project"),
        );
        return json(c, { data: model });
      }
      case "CreateRunFiles": {
        const v = parseOr400(createRunFilesSchema, vars, () => "variables.");
        needProject(c, v.project, "variables.project");
        if (files.dir === undefined) {
          // A GraphQL error, not a 5xx: the client gives up on the files at once, no retries.
          return json(c, graphqlError(NO_FILES_AREA));
        }
        const run = await o.store.getRun(v.run);
        if (!run || run.project !== v.project) {
          throw new ApiError(
            404,
            "not_found",
            `no run ${JSON.stringify(v.run)} in project ${JSON.stringify(v.project)}`,
            "variables.run",
          );
        }
        const base = `${new URL(c.req.url).origin}/files/${[run.entity ?? DEFAULT_ENTITY, run.project, run.id].map(encodeURIComponent).join("/")}/upload/`;
        const answer = v.files.map((name) => ({
          name,
          uploadUrl: `${base}${name.split("/").map(encodeURIComponent).join("/")}?token=${files.issue(run.id, name)}`,
        }));
        return json(c, {
          data: {
            createRunFiles: {
              runID: graphqlId("Run", `${run.project}/${run.id}`),
              uploadHeaders: [],
              files: answer,
            },
          },
        });
      }
      default:
        return json(c, graphqlError(unsupported(op)));
    }
  });

  app.post("/files/:entity/:project/:run/file_stream", async (c) => {
    needJson(c);
    const project = c.req.param("project");
    const runId = c.req.param("run");
    needProject(c, project);
    const body = parseOr400(fileStreamRequestSchema, await readJson(c), () => "body.");
    const applied = await tx(async (t) => {
      const run = await t.getRun(runId);
      if (!run || run.project !== project) {
        throw new ApiError(
          404,
          "not_found",
          `no run ${JSON.stringify(runId)} in project ${JSON.stringify(project)} (UpsertBucket creates it)`,
          "run",
        );
      }
      return applyFileStream(t, run, body);
    });
    if (applied.dropped > 0) {
      console.warn(
        `run ${runId}: ${applied.dropped} history lines with a step above 2^53 - 1 (or not a non-negative integer) dropped`,
      );
    }
    o.changed();
    return json(c, fileStreamAnswer());
  });

  app.put("/files/:entity/:project/:run/upload/:name{.+}", async (c) => {
    const runId = c.req.param("run");
    const name = decodeURIComponent(c.req.param("name"));
    files.redeem(c.req.query("token") ?? "", runId, name);
    await files.save(runId, name, c.req.raw.body);
    return c.body(null, 200);
  });

  app.get("/files/:entity/:project/:run", async (c) => {
    const run = await readableRun(c, o.store);
    return json(c, { files: await files.list(run) });
  });

  app.get("/files/:entity/:project/:run/raw/:name{.+}", async (c) => {
    const run = await readableRun(c, o.store);
    const name = decodeURIComponent(c.req.param("name"));
    const bytes = await files.read(run, name);
    return c.body(new Uint8Array(bytes), 200, {
      "content-type": contentTypeOf(name),
      "content-security-policy": "sandbox; default-src 'none'",
    });
  });

  // The W&B client's own OpenTelemetry export: taken and dropped, so the client does not retry.
  app.post("/sdk/otel/*", (c) => c.body(null, 200));
}

/** The run id of a files read, after the key's project check; 404 for an unknown run. */
async function readableRun(c: Context, store: Store): Promise<string> {
  const project = c.req.param("project")!;
  const runId = c.req.param("run")!;
  needProject(c, project);
  const run = await store.getRun(runId);
  if (!run || run.project !== project) {
    throw new ApiError(
      404,
      "not_found",
      `no run ${JSON.stringify(runId)} in project ${JSON.stringify(project)}`,
      "run",
    );
  }
  return run.id;
}

const CONTENT_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  json: "application/json",
  txt: "text/plain; charset=utf-8",
  log: "text/plain; charset=utf-8",
  yaml: "text/plain; charset=utf-8",
};

function contentTypeOf(name: string): string {
  return (
    CONTENT_TYPES[name.slice(name.lastIndexOf(".") + 1).toLowerCase()] ?? "application/octet-stream"
  );
}

/** The message of a refused operation: artifacts and the rest are not kept here, said plainly. */
function unsupported(op: string | undefined): string {
  if (op === undefined) return "the GraphQL request names no operation";
  const artifact = /artifact/i.test(op);
  return artifact
    ? `operation ${op}: artifacts are not supported by this amltk server (runs, metrics, config, summary, console, system metrics and run files are)`
    : `operation ${op} is not supported by this amltk server`;
}
