/**
 * Sending one batch for the outbox, and what its answer means. One POST of a JSON body over
 * node:http(s). Unlike `fetch`, its socket is
 * unref'd: a request to a server that hangs never keeps the process alive on its own (the data
 * is in the spool already). Whoever must wait for delivery keeps the process alive itself
 * (`run.finish()`'s bounded wait, `allDelivered`, `amltk sync`, the exit drain in outbox.ts).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

const agents = {
  http: new HttpAgent({ keepAlive: true }),
  https: new HttpsAgent({ keepAlive: true }),
};

export interface PostAnswer {
  status: number;
  text: string;
}

/** POSTs `body` (JSON) to `url`; rejects on network errors and when `signal` aborts. */
export function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith("https:");
    const onAnswer = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    };
    const req = (secure ? httpsRequest : httpRequest)(
      url,
      {
        method: "POST",
        agent: secure ? agents.https : agents.http,
        headers: {
          ...headers,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
        },
        signal,
      },
      onAnswer,
    );
    req.on("socket", (s) => s.unref());
    req.on("error", reject);
    req.end(body);
  });
}

/** What an answer means for the outbox; `warn` names the kind of failure (warned once each; "" none). */
export type Outcome =
  | { kind: "ok" }
  | { kind: "retry"; why: string; warn: string }
  | { kind: "blocked"; why: string };

export interface BatchTarget {
  baseUrl: string;
  apiKey?: string;
  runId: string;
  writer: string;
  /** See `OutboxOptions.createPending`. */
  createPending?: (runId: string) => boolean;
}

/** POSTs spooled op lines (JSON, one per line) as one `/api/runs/:id/batch` request. */
export async function sendBatch(
  t: BatchTarget,
  lines: readonly string[],
  signal: AbortSignal,
): Promise<Outcome> {
  const url = `${t.baseUrl}/api/runs/${encodeURIComponent(t.runId)}/batch`;
  // The spooled lines are the request's ops verbatim: nothing is serialized twice.
  const body = `{"writer":${JSON.stringify(t.writer)},"ops":[${lines.join(",")}]}`;
  const auth: Record<string, string> = t.apiKey ? { authorization: `Bearer ${t.apiKey}` } : {};
  let res: PostAnswer;
  try {
    res = await postJson(url, body, auth, signal);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const what =
      err.name === "AbortError" ? "no answer (request timed out)" : (err.code ?? err.message);
    return { kind: "retry", why: `server ${t.baseUrl} unreachable (${what})`, warn: "net" };
  }
  if (res.status >= 200 && res.status < 300) return { kind: "ok" };
  const why = `server answered ${res.status} ${res.text.slice(0, 300)}`;
  if (res.status === 404 && t.createPending?.(t.runId)) {
    // Another spool still holds this run's create: the run is not on the server *yet*.
    return { kind: "retry", why, warn: "" };
  }
  const s = res.status;
  if (s === 401 || s === 403 || s === 408 || s === 429 || s >= 500) {
    return { kind: "retry", why, warn: String(s) };
  }
  // 400/404/409/413: the server will not take these ops as they are. Dropping them would lose
  // data (and, for a missing create, everything after it), so delivery stops and they stay.
  return { kind: "blocked", why };
}
