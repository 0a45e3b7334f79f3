// Loaded with `--import` through NODE_OPTIONS by bench/seed-profile.ts (Node 20 refuses
// `--cpu-prof` there): profiles this process with node:inspector and writes the profile into
// $AMLTK_CPU_PROF_DIR when the process exits normally (a same-thread inspector session answers
// synchronously, so this works inside an "exit" handler).
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";

const dir = process.env.AMLTK_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 100 });
  session.post("Profiler.start");
  process.on("exit", () => {
    session.post("Profiler.stop", (err, res) => {
      if (!err)
        writeFileSync(join(dir, `worker-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
