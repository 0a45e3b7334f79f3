/**
 * The private redis-server harness: a fresh server per call on its own port and folder, AOF
 * keeping acknowledged writes across a SIGKILL and restart (and no persistence losing them by
 * default), the folder removed on stop, and a missing server failing under CI=true.
 */
import { existsSync } from "node:fs";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { skipBecause } from "../skip.js";
import { MissingRedisError, redisAvailability, startRedis } from "./redis.js";

const REDIS = redisAvailability("redis harness");

describe("redisAvailability", () => {
  it("fails under CI=true when redis-server is missing, skips (saying how to install) otherwise", () => {
    const env = { ...process.env, AMLTK_REDIS_SERVER: "/nowhere/redis-server" };
    const saved = process.env.AMLTK_REDIS_SERVER;
    process.env.AMLTK_REDIS_SERVER = "/nowhere/redis-server";
    try {
      expect(() => redisAvailability("s", { ...env, CI: "true" })).toThrow(MissingRedisError);
      const { found, reason } = redisAvailability("s", { ...env, CI: "" });
      expect(found).toBe(false);
      expect(reason).toMatch(/apt-get install -y redis-server/);
    } finally {
      if (saved === undefined) delete process.env.AMLTK_REDIS_SERVER;
      else process.env.AMLTK_REDIS_SERVER = saved;
    }
  });
});

describe.skipIf(skipBecause(!REDIS.found, "redis harness", REDIS.reason))("startRedis", () => {
  async function roundTrip(aof: boolean): Promise<{ kept: string | null; dir: string }> {
    const server = await startRedis({ aof });
    const client = new Redis(server.url, { maxRetriesPerRequest: null });
    client.on("error", () => {});
    try {
      await client.set("k", "v");
      const pid = server.pid();
      await server.restart();
      expect(server.pid()).not.toBe(pid);
      return { kept: await client.get("k"), dir: server.dir };
    } finally {
      client.disconnect();
      await server.stop();
    }
  }

  it("with AOF keeps an acknowledged write across a SIGKILL and restart; removes its folder", async () => {
    const { kept, dir } = await roundTrip(true);
    expect(kept).toBe("v");
    expect(existsSync(dir)).toBe(false);
  });

  it("without persistence (the default) starts empty after a restart", async () => {
    expect((await roundTrip(false)).kept).toBeNull();
  });
});
