/**
 * The saved views API (docs/api.md, "Saved views"): `GET /api/projects/:project/views`,
 * `GET|PUT|DELETE /api/projects/:project/views/:name`. Reads follow the read rules, PUT and
 * DELETE are writes (a write key, or a keyless loopback `amltk ui` behind guard.ts's Origin
 * and Host checks); a key limited to projects touches only those projects' views.
 */
import type { Context, Hono } from "hono";
import * as v from "valibot";
import { PostgresStore } from "../store/postgres/index.js";
import { SqliteStore } from "../store/sqlite/index.js";
import type { Store } from "../store/types.js";
import { needProject } from "./access.js";
import { ApiError } from "./errors.js";
import { json } from "./read-routes.js";
import { jsonBody, parseOr400 } from "./validator.js";
import {
  MemoryViewStorage,
  PostgresViewStorage,
  SqliteViewStorage,
  type ViewStorage,
} from "./views.js";

/** The longest view state kept: a hash query with long filters and many columns fits. */
export const MAX_VIEW_STATE = 32_768;

/** A project or view name: 1..200 characters without control characters. */
const nameSchema = v.pipe(
  v.string(),
  v.minLength(1, "must not be empty"),
  v.maxLength(200, "must be at most 200 characters"),
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  v.regex(/^[^\u0000-\u001f\u007f]*$/, "must not hold control characters"),
);

const viewBodySchema = v.strictObject(
  {
    state: v.pipe(
      v.string("must be a string (the view's query string)"),
      v.maxLength(MAX_VIEW_STATE, `must be at most ${MAX_VIEW_STATE} characters`),
    ),
  },
  "is not a field of a view",
);

/** The storage for `store`'s database: its own file or database, else memory. */
export function viewStorageFor(store: Store): ViewStorage {
  if (store instanceof SqliteStore) return new SqliteViewStorage(store.db);
  if (store instanceof PostgresStore) return new PostgresViewStorage(() => store.pool);
  return new MemoryViewStorage();
}

/** The project of the path, checked, and allowed for the request's key. */
function projectParam(c: Context): string {
  const project = parseOr400(nameSchema, c.req.param("project"), () => "project");
  needProject(c, project);
  return project;
}

const nameParam = (c: Context) => parseOr400(nameSchema, c.req.param("name"), () => "name");

export function registerViewRoutes(app: Hono, views: ViewStorage): void {
  app.get("/api/projects/:project/views", async (c) =>
    json(c, { views: await views.list(projectParam(c)) }),
  );

  app.get("/api/projects/:project/views/:name", async (c) => {
    const project = projectParam(c);
    const name = nameParam(c);
    const view = await views.get(project, name);
    if (!view)
      throw new ApiError(
        404,
        "not_found",
        `no view ${JSON.stringify(name)} in project ${JSON.stringify(project)}`,
        "name",
      );
    return json(c, view);
  });

  app.put(
    "/api/projects/:project/views/:name",
    jsonBody(viewBodySchema, () => "body."),
    async (c) => {
      const project = projectParam(c);
      const name = nameParam(c);
      return json(c, await views.put(project, name, c.req.valid("json").state));
    },
  );

  app.delete("/api/projects/:project/views/:name", async (c) => {
    const project = projectParam(c);
    const name = nameParam(c);
    if (!(await views.delete(project, name))) {
      throw new ApiError(
        404,
        "not_found",
        `no view ${JSON.stringify(name)} in project ${JSON.stringify(project)}`,
        "name",
      );
    }
    return json(c, { deleted: true });
  });
}
