/** Test helper: the live (non-zombie) child processes of `pid`, from Linux /proc. */
import { existsSync, readdirSync, readFileSync } from "node:fs";

export function childPids(pid: number): number[] {
  const out: number[] = [];
  const tasks = `/proc/${pid}/task`;
  if (!existsSync(tasks)) return out;
  for (const tid of readdirSync(tasks)) {
    let text = "";
    try {
      text = readFileSync(`${tasks}/${tid}/children`, "utf8");
    } catch {
      continue;
    }
    for (const c of text.trim().split(/\s+/).filter(Boolean)) {
      const state = (() => {
        try {
          const stat = readFileSync(`/proc/${c}/stat`, "utf8");
          return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
        } catch {
          return "gone";
        }
      })();
      if (state !== "Z" && state !== "gone") out.push(Number(c));
    }
  }
  return out.sort((a, b) => a - b);
}
