/**
 * Child process for the checkpointer's loader test: `checkpointer-host.ts <dir>`. Run through
 * tsx, whose transform (keep-names) rewrites the thread's function text; prints the thread's
 * last word as JSON once a checkpoint copied the frames committed here.
 */
import { join } from "node:path";
import { markHostCheckpointed, WalCheckpointer } from "../checkpointer.js";
import { openDb } from "../db.js";

const file = join(process.argv[2]!, "amltk.db");
markHostCheckpointed(file);
const db = openDb(process.argv[2]!);
db.exec("CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB)");
const insert = db.prepare("INSERT INTO filler (id, body) VALUES (?, ?)");
for (let i = 0; i < 50; i++) insert.run(i, Buffer.alloc(4000, i));
const checkpointer = new WalCheckpointer(file, 20);
// The thread does not keep the process alive; this timer does until it has checkpointed.
const alive = setInterval(() => {}, 1000);
await checkpointer.nextCheckpoint();
const bye = await checkpointer.stop();
clearInterval(alive);
db.close();
console.log(JSON.stringify(bye));
