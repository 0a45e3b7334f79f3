/**
 * Validator middleware for the API's bodies and queries: a route names its schema
 * (`request-schemas.ts`) and reads the typed result with `c.req.valid("json" | "query")`; the
 * first issue becomes the API's one 400 shape, `{ error: { code: "invalid", message, field } }`.
 *
 * Queries go through Hono's own `validator`. Bodies do not: Hono's `json` target parses with
 * plain `JSON.parse` and answers malformed JSON with its own text, while the API's JSON carries
 * NaN/±Infinity as tags (`decodeJson`) and answers bad JSON as `bad_json` naming `body`.
 */
import type { Context, MiddlewareHandler } from "hono";
import { validator } from "hono/validator";
import * as v from "valibot";
import { decodeJson } from "../shared/json-numbers.js";
import { ApiError, invalid } from "./errors.js";
import { kindOf } from "./json-value.js";

type AnySchema = v.GenericSchema<unknown, unknown>;

/** Where a field sits: `ops[2].rows` from the path `ops`, 2, `rows`; "" is the whole body. */
function fieldOf(issue: v.BaseIssue<unknown>, prefix: (first: string) => string): string {
  let path: readonly v.IssuePathItem[] = issue.path ?? [];
  // A bad record key is reported at its record (the key itself may be empty or huge); a
  // missing key of an object, or an unknown key of a strict object, is named: it is the fault.
  const last = path[path.length - 1];
  const keyIsFault = issue.type === "object" || issue.type === "strict_object";
  if (!keyIsFault && last && "origin" in last && last.origin === "key") path = path.slice(0, -1);
  let field = "";
  for (const item of path) {
    const key = item.key;
    if (typeof key === "number") field += `[${key}]`;
    else field += field === "" ? String(key) : `.${String(key)}`;
  }
  if (field === "") return prefix("").replace(/\.$/, "") || "body";
  const first = String(path[0]?.key ?? "");
  return prefix(first) + field;
}

/** The message of an issue its schema gave no words for: what was expected, what came. */
function defaultMessage(issue: v.BaseIssue<unknown>): string {
  if (issue.type === "object" && issue.input === undefined) return "is required";
  if (issue.kind === "schema") {
    // valibot names types as "Object", "Array", "string"...; literals come quoted.
    const expected = (issue.expected ?? "something else").replace(/^"|"$/g, "");
    const lower = /^[A-Z][a-z]+$/.test(expected) ? expected.toLowerCase() : expected;
    const article = /^[aeiou]/.test(lower) ? "an" : "a";
    return `must be ${article} ${lower}, got ${kindOf(issue.input)}`;
  }
  return `must be ${issue.expected ?? "valid"}, got ${issue.received}`;
}

/**
 * Runs `schema` on `input`, throwing a 400 that names the first bad field. `prefix` maps the
 * first key of a path to what goes before it (single-op routes write `body.` before the
 * fields of their op, as the API has always named them).
 *
 * @example
 * ```ts
 * const batch = parseOr400(batchSchema, decodeJson(text));
 * ```
 */
export function parseOr400<S extends AnySchema>(
  schema: S,
  input: unknown,
  prefix: (first: string) => string = () => "",
): v.InferOutput<S> {
  const got = v.safeParse(schema, input, { abortEarly: true });
  if (got.success) return got.output;
  const issue = got.issues[0];
  const field = fieldOf(issue, prefix);
  const message = issue.message.startsWith("Invalid ") ? defaultMessage(issue) : issue.message;
  throw invalid(field, message);
}

/** Parses a JSON body (tags restored), mapping bad JSON to a 400 `bad_json`. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.length === 0) throw new ApiError(400, "bad_json", "request body is empty", "body");
  try {
    return decodeJson(text);
  } catch (e) {
    throw new ApiError(
      400,
      "bad_json",
      `request body is not valid JSON: ${(e as Error).message}`,
      "body",
    );
  }
}

/**
 * Middleware that validates the JSON body against `schema`; the route reads it with
 * `c.req.valid("json")`.
 *
 * @example
 * ```ts
 * app.post("/api/series", jsonBody(seriesSchema), (c) => c.json(c.req.valid("json").keys));
 * ```
 */
export function jsonBody<S extends AnySchema>(
  schema: S,
  prefix?: (first: string) => string,
): MiddlewareHandler<
  // biome-ignore lint/suspicious/noExplicitAny: Hono's own validators type their env as any
  any,
  string,
  { in: { json: v.InferInput<S> }; out: { json: v.InferOutput<S> } }
> {
  return async (c, next) => {
    c.req.addValidatedData("json", parseOr400(schema, await readJson(c), prefix) as object);
    await next();
  };
}

/**
 * Hono's query validator with a schema; the route reads the result with `c.req.valid("query")`.
 * A parameter given twice is refused (the schemas take one string per name).
 *
 * @example
 * ```ts
 * app.get("/api/runs/:id/console", query(consoleQuerySchema), (c) => c.req.valid("query").limit);
 * ```
 */
export function query<S extends AnySchema>(schema: S) {
  return validator("query", (value) => {
    for (const [name, given] of Object.entries(value)) {
      if (Array.isArray(given)) throw invalid(name, `given ${given.length} times; give it once`);
    }
    return parseOr400(schema, value) as v.InferOutput<S>;
  });
}
