/**
 * One POST of a JSON body over node:http(s) for the outbox. Unlike `fetch`, its socket is
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
