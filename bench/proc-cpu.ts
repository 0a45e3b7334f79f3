/** CPU time of other processes, for the benches that split a point's cost between them. */
import { readdirSync, readFileSync } from "node:fs";

/**
 * CPU seconds used so far by PostgreSQL's processes (`postgres: ...` and the postmaster), read
 * from /proc (Linux; 0 elsewhere): the database's share of a point's cost.
 */
export function postgresCpuSeconds(): number {
  let ticks = 0;
  let pids: string[] = [];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (name !== "postgres") continue;
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]); // utime + stime
    } catch {
      // exited meanwhile
    }
  }
  return ticks / 100; // USER_HZ
}
