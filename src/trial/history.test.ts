import { describe, expect, it } from "vitest";
import { parseCSV } from "./csv.js";
import { History } from "./history.js";
import { Metric } from "./metric.js";
import type { TrialReport } from "./report.js";
import { Trial } from "./trial.js";

const acc = new Metric("acc", { minimize: false, bounds: [0, 1] });
const cost = new Metric("cost");
const metrics = [acc, cost];

function trial(name: string, config: Record<string, unknown> = { x: 1 }) {
  return new Trial({ name, config, seed: 1, metrics });
}

async function build(): Promise<History> {
  const h = new History();
  h.add(trial("a").success({ acc: 0.5, cost: 3 }));
  h.add([
    trial("b").success({ acc: 0.7, cost: 4 }),
    trial("c").fail(new Error("nope"), { acc: 0.99 }),
    trial("d").crashed(new Error("dead")),
    trial("e").success({ acc: 0.6, cost: 1 }),
  ]);
  const f = trial("f", { x: 2, name: 'comma, "q"', flag: true });
  await f.begin(() => {
    f.summary.note = "multi\nline";
  });
  h.add(f.success({ acc: 0.9, cost: 2 }));
  return h;
}

const names = (rs: Iterable<TrialReport>) => [...rs].map((r) => r.name);

describe("History", () => {
  it("adds, finds, iterates and counts", async () => {
    const h = await build();
    expect(h.length).toBe(6);
    expect(names(h)).toEqual(["a", "b", "c", "d", "e", "f"]);
    expect(h.find("c")?.status).toBe("fail");
    expect(h.find("zzz")).toBeUndefined();
    expect(() => h.add(trial("a").success({ acc: 0, cost: 0 }))).toThrow(/already present/);
    expect(() => h.add({} as never)).toThrow(/TrialReport/);
  });

  it("filters and groups", async () => {
    const h = await build();
    expect(names(h.filter((r) => r.values.cost < 3))).toEqual(["e", "f"]);
    const g = h.groupBy("status");
    expect(Object.keys(g).sort()).toEqual(["crashed", "fail", "success"]);
    expect(names(g.success)).toEqual(["a", "b", "e", "f"]);
    const byX = h.groupBy((r) => String(r.config.x));
    expect(names(byX["2"])).toEqual(["f"]);
  });

  it("sorts by metric, best first by default", async () => {
    const h = await build();
    expect(names(h.sortBy("acc"))).toEqual(["c", "f", "b", "e", "a", "d"]);
    expect(names(h.sortBy("acc", { ascending: true }))).toEqual(["d", "a", "e", "b", "f", "c"]);
    expect(names(h.sortBy("cost"))).toEqual(["e", "f", "a", "b", "c", "d"]);
    expect(() => h.sortBy("nope")).toThrow(/no report has metric "nope"/);
    // Ties (including two infinite worst values) keep insertion order.
    const ties = new History([
      trial("p").crashed("x"),
      trial("q").success({ acc: 0.1, cost: 5 }),
      trial("r").crashed("y"),
    ]);
    expect(names(ties.sortBy("cost"))).toEqual(["q", "p", "r"]);
    expect(names(ties.sortBy("cost", { ascending: false }))).toEqual(["p", "r", "q"]);
  });

  it("best skips failed and crashed reports", async () => {
    const h = await build();
    expect(h.best("acc")?.name).toBe("f");
    expect(h.best("cost")?.name).toBe("e");
    expect(new History([trial("z").crashed("x")]).best("cost")).toBeUndefined();
  });

  it("incumbents is the running best sequence", async () => {
    const h = await build();
    expect(names(h.incumbents("acc"))).toEqual(["a", "b", "f"]);
    expect(names(h.incumbents("cost"))).toEqual(["a", "e"]);
  });

  it("rows and CSV", async () => {
    const h = await build();
    const rows = h.rows();
    expect(rows).toHaveLength(6);
    expect(rows[2]["metric:cost"]).toBe("inf");
    const csv = h.toCSV();
    const parsed = parseCSV(csv);
    expect(parsed).toHaveLength(6);
    expect(parsed[5]["summary:note"]).toBe("multi\nline");
    expect(parsed[5]["config:name"]).toBe('comma, "q"');
  });

  it("round trips through JSON", async () => {
    const h = await build();
    const back = History.fromJSON(JSON.parse(JSON.stringify(h)));
    expect(back.toArray()).toEqual(h.toArray());
    expect(History.fromJSON(JSON.stringify(h)).length).toBe(6);
    expect(() => History.fromJSON("{}")).toThrow(/array/);
  });

  it("round trips through CSV", async () => {
    const h = await build();
    const back = History.fromCSV(h.toCSV(), { metrics });
    expect(back.rows()).toEqual(h.rows());
    expect(back.best("acc")?.name).toBe("f");
    expect(back.find("f")?.config).toEqual({ x: 2, name: 'comma, "q"', flag: true });
    expect(back.find("d")?.values.cost).toBe(Number.POSITIVE_INFINITY);
    expect(back.find("f")?.profiles.trial.time.kind).toBe("wall");
    // Without metric definitions every metric is minimized.
    expect(History.fromCSV(h.toCSV()).find("a")?.metric("acc")?.minimize).toBe(true);
  });

  it("fromCSV reports bad input", () => {
    expect(History.fromCSV("").length).toBe(0);
    expect(() => History.fromCSV("name,status\nx,weird\n")).toThrow(/unknown status "weird"/);
    expect(() => History.fromCSV("name,status\n,success\n")).toThrow(/no name/);
    expect(() => History.fromCSV("name,status\nx\n")).toThrow(/1 cells/);
    expect(() => History.fromCSV('name,status\n"x,success\n')).toThrow(/unterminated/);
  });
});
