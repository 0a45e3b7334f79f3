/**
 * Is a run's owner process still the process that created it? A PID alone cannot say: PIDs are
 * reused (quickly, in containers with small PID spaces), so a crashed run whose PID now belongs
 * to an unrelated process would look alive forever. On Linux the owner is identified by its PID
 * plus its start time (`/proc/<pid>/stat` field 22, clock ticks since boot), the boot id
 * (`/proc/sys/kernel/random/boot_id`) and its PID namespace, so a reused PID and a reboot are
 * both seen, and a run owned in another PID namespace (a container sharing the host name and
 * the store folder) is not judged by what its PID means here. Elsewhere the token is null and
 * liveness falls back to the PID, the host and (for the reapers) heartbeats.
 */
import { closeSync, openSync, readFileSync, readlinkSync, readSync } from "node:fs";
import { hostname } from "node:os";

/** What a liveness check needs from a run record. */
export interface RunOwner {
  pid: number | null;
  host: string | null;
  /** `processStartToken(pid)` when the owner recorded it; null/absent: unknown. */
  ownerStart?: string | null;
}

let scope: string | null | undefined;
let host: string | undefined;

/** This host's name, asked once (a syscall each time otherwise, per running run per reap). */
function thisHost(): string {
  host ??= hostname();
  return host;
}

/**
 * `<boot id>:<pid namespace>` of this process (Linux), read once: neither changes while it
 * lives. Null when either cannot be read. PIDs, and so start times looked up by PID, only mean
 * something within one boot and one PID namespace.
 */
function currentScope(): string | null {
  if (scope === undefined) {
    try {
      const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
      const ns = /^pid:\[(\d+)\]$/.exec(readlinkSync("/proc/self/ns/pid"))?.[1];
      scope = boot && ns ? `${boot}:${ns}` : null;
    } catch {
      scope = null;
    }
  }
  return scope;
}

const procBuf = Buffer.allocUnsafe(4096);

/**
 * A small /proc file in one read: /proc reports size 0, which sends `readFileSync` through a
 * stat and a growing buffer, several times the cost (this runs once per running run per reap).
 */
function readProcFile(path: string): string {
  const fd = openSync(path, "r");
  try {
    return procBuf.toString("latin1", 0, readSync(fd, procBuf, 0, procBuf.length, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * The start time of `pid` in clock ticks since boot, from `/proc/<pid>/stat`; null when it
 * cannot be read (no such process, or not Linux). The command name (field 2) may hold spaces
 * and parentheses, so fields are counted from the last `)`.
 */
function procStartTicks(pid: number): string | null {
  let stat: string;
  try {
    stat = readProcFile(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
  const ticks = fields[19];
  return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : null;
}

/**
 * A string that names one process for the life of the machine:
 * `linux:<boot id>:<pid namespace>:<start ticks>` on Linux, null where that cannot be read
 * (other systems). Two processes that ever held the same PID on this host have different
 * tokens.
 *
 * @example
 * ```ts
 * const token = processStartToken(process.pid); // "linux:0b6f…:4026531836:123456" or null
 * store.createRun({ id, project, name, createdAt: Date.now(), pid: process.pid, ownerStart: token });
 * ```
 */
export function processStartToken(pid: number): string | null {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  const where = currentScope();
  const ticks = where === null ? null : procStartTicks(pid);
  return ticks === null ? null : `linux:${where}:${ticks}`;
}

/** A recorded token's boot id, namespace and the token without its start ticks. */
function parseToken(token: string | null | undefined): { boot: string; scope: string } | null {
  const m = /^linux:(([^:]+):\d+):\d+$/.exec(token ?? "");
  return m ? { scope: m[1], boot: m[2] } : null;
}

/**
 * True when `pid` is certainly gone (ESRCH); EPERM means it exists under another user.
 *
 * @example
 * ```ts
 * if (isPidDead(rec.pid)) console.log("owner is gone");
 * ```
 */
export function isPidDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * True when the run's owner was a process on this host and is certainly gone: its PID is dead,
 * the PID now belongs to another process (a different start time), or the machine rebooted
 * since. Runs of other hosts are never judged here (only their heartbeats can tell), nor runs
 * owned in another PID namespace, nor tokens this host cannot read (another system's format):
 * those count as unknown, never as dead.
 *
 * @example
 * ```ts
 * if (rec.state === "running" && ownerDead(rec)) await store.updateRun(rec.id, { state: "crashed" });
 * ```
 */
export function ownerDead(r: RunOwner): boolean {
  if (r.pid === null || r.pid <= 0 || r.host !== thisHost()) return false;
  const recorded = parseToken(r.ownerStart);
  const here = currentScope();
  if (recorded && here !== null) {
    // A process of an earlier boot is gone, whatever holds its PID now.
    if (recorded.boot !== here.slice(0, here.indexOf(":"))) return true;
    // Its PID names another process here (or none): nothing to judge by.
    if (recorded.scope !== here) return false;
  }
  if (isPidDead(r.pid)) return true;
  if (!recorded) return false;
  const now = processStartToken(r.pid);
  // Unreadable now (a /proc hidden from us) says nothing; a different token is a different process.
  return now !== null && now !== r.ownerStart;
}
