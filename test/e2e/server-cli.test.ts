import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const execFileP = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cli = join(root, "bin", "amltk.js");
const dirs: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "amltk-ui-cli-"));
  dirs.push(d);
  return d;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function amltk(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileP(process.execPath, [cli, ...args]);
}

/** Starts `amltk ui` and resolves with its URL once it prints it. */
function startUi(dir: string, ...extra: string[]) {
  const child = spawn(process.execPath, [cli, "ui", "--dir", dir, "--port", "0", ...extra], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (b) => {
      out += b;
      const m = /amltk ui: (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.stderr.on("data", (b) => {
      out += b;
    });
    child.on("close", (code) => reject(new Error(`amltk ui exited ${code}: ${out}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  return { child, url, exited };
}

describe("amltk ui / keys / sync (built CLI)", () => {
  it("creates, lists and revokes keys; the server takes writes only with a valid key", async () => {
    const dir = tempDir();
    const created = await amltk("keys", "create", "--dir", dir, "--name", "ci");
    const key = created.stdout.trim();
    expect(key).toMatch(/^amltk_[a-f0-9]{12}_/);
    const id = key.split("_")[1];
    expect((await amltk("keys", "list", "--dir", dir)).stdout).toContain(`${id}  ci`);

    const ui = startUi(dir);
    const url = await ui.url;
    expect(await (await fetch(`${url}/api/health`)).json()).toMatchObject({ ok: true });
    const body = JSON.stringify({
      id: "cli-run",
      project: "p",
      name: "n",
      createdAt: Date.now(),
    });
    const headers = { "content-type": "application/json" };
    expect((await fetch(`${url}/api/runs`, { method: "POST", headers, body })).status).toBe(401);
    const ok = await fetch(`${url}/api/runs`, {
      method: "POST",
      headers: { ...headers, authorization: `Bearer ${key}` },
      body,
    });
    expect(ok.status).toBe(201);
    expect((await (await fetch(`${url}/api/runs?project=p`)).json()).total).toBe(1);

    expect((await amltk("keys", "revoke", id, "--dir", dir)).stdout).toContain("revoked");
    expect((await amltk("keys", "list", "--dir", dir)).stdout).toContain("revoked");
    await expect(amltk("keys", "revoke", "nosuchkey", "--dir", dir)).rejects.toThrow();
    ui.child.kill("SIGTERM");
    expect(await ui.exited).toBe(0);
  });

  it("sync says when there is nothing to deliver", async () => {
    const dir = tempDir();
    expect((await amltk("sync", "--dir", dir)).stdout).toContain("nothing to sync");
  });
});
