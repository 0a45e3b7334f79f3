/**
 * The import rules of docs/architecture.md ("Rooms"), as dependency-cruiser rules over the
 * built package (`dist/<room>/...`). They are checked on the runtime graph: the compiled
 * JavaScript, where an import used only for types is gone, so a type-only import may cross a
 * rule (and close a cycle); a runtime one may not.
 */
import type { IForbiddenRuleType } from "dependency-cruiser";

/** `^dist/(a|b)/`: a module in one of these rooms. */
function rooms(...names: string[]): string {
  return `^dist/(${names.join("|")})/`;
}

const ALL_ROOMS = [
  "public",
  "cli",
  "scheduling",
  "trial",
  "optim",
  "track",
  "store",
  "server",
  "wandb",
  "import",
  "export",
  "protocol",
  "shared",
];

/** Every room but these. */
function roomsBut(...names: string[]): string {
  return rooms(...ALL_ROOMS.filter((r) => !names.includes(r)));
}

export const RULES: IForbiddenRuleType[] = [
  {
    name: "no-cycle",
    comment: "no runtime import cycle: the module loaded first would see its peers uninitialized",
    from: {},
    to: { circular: true },
  },
  {
    name: "nothing-imports-cli",
    comment: "cli is the outermost room (commands); features never depend on it",
    from: { pathNot: rooms("cli") },
    to: { path: rooms("cli") },
  },
  {
    name: "nothing-imports-public",
    comment: "public/ holds the entry points, for users; the rooms import each other directly",
    from: { pathNot: rooms("public") },
    to: { path: rooms("public") },
  },
  {
    name: "shared-imports-nothing",
    comment: "shared/ holds pieces any room may use, so it imports nothing of the project",
    from: { path: rooms("shared") },
    to: { path: roomsBut("shared") },
  },
  {
    name: "protocol-is-neutral",
    comment: "protocol/ (the client-server wire format) belongs to neither side",
    from: { path: rooms("protocol") },
    to: { path: roomsBut("protocol", "shared") },
  },
  {
    name: "store-is-the-floor",
    comment: "public -> features -> store: the store imports no feature",
    from: { path: rooms("store") },
    to: { path: roomsBut("store", "shared") },
  },
  {
    name: "track-stands-alone",
    comment: "track never imports scheduling, trials or the server: it writes a store or the wire",
    from: { path: rooms("track") },
    to: { path: roomsBut("track", "store", "protocol", "shared") },
  },
  {
    name: "server-reads-store",
    comment: "the server serves a store over HTTP in the protocol; it runs no trials or runs",
    from: { path: rooms("server") },
    to: { path: roomsBut("server", "store", "protocol", "shared") },
  },
  {
    name: "wandb-joins-trial-and-track",
    comment: "only the plugin ties trials to tracked runs; neither side knows of it",
    from: { pathNot: rooms("wandb", "public", "cli") },
    to: { path: rooms("wandb") },
  },
  {
    name: "server-serves-only-doors",
    comment: "the server is reached through amltk/server and the CLI only",
    from: { pathNot: rooms("server", "public", "cli") },
    to: { path: rooms("server") },
  },
];
