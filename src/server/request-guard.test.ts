/**
 * Who may talk to a server on 127.0.0.1 at all (issue 10): Host and Origin checks against
 * DNS rebinding and cross-site requests, JSON-only writes, and the hardening of odd paths and
 * pages. Requests go over real sockets with node:http, which sends a forged Host verbatim.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createOp, startTestServer, type TestServer } from "./server.test-helpers.js";

let ts: TestServer | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: { error: { code: string; field?: string } };
}

/** One request over a socket, headers exactly as given (Host included), path not normalized. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Raw> {
  const port = ts!.server.port;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          text += d;
        });
        res.on("end", () => {
          let json: Raw["json"] = { error: { code: "(not JSON)" } };
          try {
            json = JSON.parse(text);
          } catch {
            // a page: json stays a placeholder
          }
          resolve({ status: res.statusCode!, headers: res.headers, text, json });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const auth = () => ({ authorization: `Bearer ${ts!.key}` });
const runCount = () =>
  (ts!.store.db.prepare("SELECT COUNT(*) AS n FROM runs").get() as { n: number }).n;

describe("Host check on a loopback server", () => {
  it("refuses names that are not loopback, or another port, and accepts allowed ones", async () => {
    ts = await startTestServer({ allowedHosts: ["amltk.lan"] });
    const port = ts.server.port;
    for (const host of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, "evil.example"]) {
      const res = await raw("GET", "/api/runs", { host });
      expect(res.status, host).toBe(403);
      expect(res.json.error).toMatchObject({ code: "forbidden", field: "host" });
    }
    // pages too: a rebinding page must not even get the dashboard
    expect((await raw("GET", "/", { host: `evil.example:${port}` })).status).toBe(403);
    for (const host of [`localhost:${port}`, `[::1]:${port}`, `127.0.0.1:${port}`, "amltk.lan"]) {
      expect((await raw("GET", "/api/runs", { host })).status, host).toBe(200);
    }
  });

  it("leaves Host alone on a server bound to every interface", async () => {
    ts = await startTestServer({ host: "0.0.0.0" });
    expect((await raw("GET", "/api/health", { host: "machine.lan:8080" })).status).toBe(200);
  });
});

describe("Origin and Content-Type on writes", () => {
  it("refuses a cross-site write and writes nothing, even with auth off", async () => {
    ts = await startTestServer({ auth: false, allowedOrigins: ["https://dash.example"] });
    const body = JSON.stringify({ writer: "writer-0001", ops: [createOp(1)] });
    const json = { "content-type": "application/json" };
    for (const origin of ["http://evil.example", "null", `http://localhost:${ts.server.port}`]) {
      const res = await raw("POST", "/api/runs/x1/batch", { ...json, origin }, body);
      expect(res.status, origin).toBe(403);
      expect(res.json.error.field).toBe("origin");
    }
    // What a no-cors fetch from any page can send: text/plain, no preflight.
    const plain = await raw("POST", "/api/runs/x1/batch", { "content-type": "text/plain" }, body);
    expect(plain.status).toBe(415);
    expect(plain.json.error).toMatchObject({ code: "unsupported_media_type" });
    const form = "writer=w&ops=1";
    const formRes = await raw(
      "POST",
      "/api/runs",
      { "content-type": "application/x-www-form-urlencoded" },
      form,
    );
    expect(formRes.status).toBe(415);
    expect(runCount()).toBe(0);
    // Same origin and an allowed origin may write.
    const same = `http://127.0.0.1:${ts.server.port}`;
    expect((await raw("POST", "/api/runs/x1/batch", { ...json, origin: same }, body)).status).toBe(
      200,
    );
    const other = JSON.stringify({ writer: "writer-0002", ops: [createOp(1)] });
    const allowed = { ...json, origin: "https://dash.example" };
    expect((await raw("POST", "/api/runs/x2/batch", allowed, other)).status).toBe(200);
    expect(runCount()).toBe(2);
  });

  it("takes application/json with parameters", async () => {
    ts = await startTestServer();
    const body = JSON.stringify({ writer: "writer-0001", ops: [createOp(1)] });
    const type = { "content-type": "Application/JSON; charset=utf-8", ...auth() };
    expect((await raw("POST", "/api/runs/j1/batch", type, body)).status).toBe(200);
  });
});

describe("hardening", () => {
  it("answers malformed percent-encodings, ./.. ids and buckets=0 with a 400", async () => {
    ts = await startTestServer();
    for (const path of ["/%ff", "/%E0%A4%A", "/p/%zz"]) {
      const res = await raw("GET", path);
      expect(res.status, path).toBe(400);
      expect(res.json.error.code).toBe("invalid");
    }
    const body = JSON.stringify({ writer: "writer-0001", ops: [createOp(1)] });
    const json = { "content-type": "application/json", ...auth() };
    for (const id of [".", ".."]) {
      // In a URL the segment is resolved away (no route takes it); in a body it is refused.
      expect((await raw("POST", `/api/runs/${id}/batch`, json, body)).status, id).toBe(404);
      const created = await ts.call("POST", "/api/runs", { ...createOp(1).run, id });
      expect(created.status, id).toBe(400);
      expect(created.body.error.field).toMatch(/(^|\.)id$/);
      const op = createOp(1, { id });
      const batch = await ts.call("POST", "/api/runs/ok1/batch", {
        writer: "writer-0001",
        ops: [op],
      });
      expect(batch.status, id).toBe(400);
    }
    expect(runCount()).toBe(0);
    await ts.call("POST", "/api/runs/b1/batch", { writer: "writer-0001", ops: [createOp(1)] });
    const zero = await ts.call("GET", "/api/runs/b1/system?buckets=0");
    expect(zero.status).toBe(400);
    expect(zero.body.error.field).toBe("buckets");
    expect((await ts.call("GET", "/api/runs/b1/system?buckets=1")).status).toBe(200);
  });

  it("stores __proto__ and constructor keys as data and sends them back", async () => {
    ts = await startTestServer();
    await ts.call("POST", "/api/runs/k1/batch", { writer: "writer-0001", ops: [createOp(1)] });
    const body =
      '{"summary": {"__proto__": {"polluted": 1}, "constructor": 2}, "config": {"__proto__": 3}}';
    const res = await raw(
      "PATCH",
      "/api/runs/k1",
      { "content-type": "application/json", ...auth() },
      body,
    );
    expect(res.status).toBe(200);
    const got = await raw("GET", "/api/runs/k1");
    const run = JSON.parse(got.text) as { summary: object; config: object };
    const own = (o: object, k: string) => Object.getOwnPropertyDescriptor(o, k)?.value;
    expect(own(run.summary, "__proto__")).toEqual({ polluted: 1 });
    expect(own(run.summary, "constructor")).toBe(2);
    expect(own(run.config, "__proto__")).toBe(3);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it("sends nosniff and no framing on every answer, and a hash-based CSP on pages", async () => {
    const webDir = mkdtempSync(join(tmpdir(), "amltk-csp-"));
    dirs.push(webDir);
    const script = "window.ok = 1;";
    const style = "body{color:red}";
    writeFileSync(
      join(webDir, "index.html"),
      `<!doctype html><style>${style}</style><script>${script}</script><script type="module" src="./x.js"></script>`,
    );
    ts = await startTestServer({ webDir });
    const hash = (t: string) => `'sha256-${createHash("sha256").update(t).digest("base64")}'`;
    const page = await raw("GET", "/p/demo");
    expect(page.status).toBe(200);
    const csp = String(page.headers["content-security-policy"]);
    const directive = (name: string) => csp.split("; ").find((d) => d.startsWith(`${name} `));
    expect(directive("script-src")).toBe(`script-src 'self' ${hash(script)}`);
    expect(directive("style-src")).toBe(`style-src 'self' ${hash(style)}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    for (const res of [page, await raw("GET", "/api/health"), await raw("GET", "/nope.js")]) {
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
      expect(res.headers["x-frame-options"]).toBe("DENY");
    }
  });
});
