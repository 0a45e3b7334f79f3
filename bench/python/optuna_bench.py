"""Optuna's TPESampler on the same functions as bench/optim.ts, for a side-by-side comparison.

Called by bench/optim.ts (``python3 bench/python/optuna_bench.py --trials 100 --seeds 20``);
prints one JSON object on stdout. The functions are written out here again (not imported
from TypeScript) and must match bench/functions.ts: same formulas, same bounds.
"""

import argparse
import json
import math
import statistics
import sys
import time

import optuna


def branin(x):
    x1, x2 = x
    a, b, c = 1.0, 5.1 / (4 * math.pi**2), 5 / math.pi
    r, s, t = 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


HART_A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
HART_P = [
    [1312, 1696, 5569, 124, 8283, 5886],
    [2329, 4135, 8307, 3736, 1004, 9991],
    [2348, 1451, 3522, 2883, 3047, 6650],
    [4047, 8828, 8732, 5743, 1091, 381],
]
HART_ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann6(x):
    total = 0.0
    for i in range(4):
        inner = sum(HART_A[i][j] * (x[j] - HART_P[i][j] * 1e-4) ** 2 for j in range(6))
        total -= HART_ALPHA[i] * math.exp(-inner)
    return total


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


def ackley(x):
    d = len(x)
    s1 = sum(v * v for v in x) / d
    s2 = sum(math.cos(2 * math.pi * v) for v in x) / d
    return -20 * math.exp(-0.2 * math.sqrt(s1)) - math.exp(s2) + 20 + math.e


FUNCTIONS = {
    "branin": (branin, [(-5.0, 10.0), (0.0, 15.0)]),
    "hartmann6": (hartmann6, [(0.0, 1.0)] * 6),
    "rosenbrock4": (rosenbrock, [(-5.0, 10.0)] * 4),
    "ackley5": (ackley, [(-32.768, 32.768)] * 5),
}

def mixed(trial):
    units = trial.suggest_int("units", 1, 500, log=True)
    batch = trial.suggest_int("batch", 0, 100)
    layers = trial.suggest_int("layers", 1, 4)
    dropout = trial.suggest_float("dropout", 0, 1)
    act = trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
    lr = trial.suggest_float("lr", 1e-4, 1, log=True)
    return (
        math.log(units / 50) ** 2
        + ((batch - 30) / 100) ** 2
        + (layers - 2) ** 2
        + (dropout - 0.3) ** 2
        + (0 if act == "tanh" else 1)
        + math.log10(lr / 1e-2) ** 2
    )


def conditional(trial):
    model = trial.suggest_categorical("model", ["a", "b", "c"])
    if model == "a":
        xa = trial.suggest_float("xa", -5, 5)
        ya = trial.suggest_float("ya", -5, 5)
        return 1 + (xa - 1) ** 2 + (ya + 1) ** 2
    if model == "b":
        kb = trial.suggest_int("kb", 1, 20)
        zb = trial.suggest_float("zb", 1e-3, 10, log=True)
        return (kb - 7) ** 2 / 10 + math.log10(zb) ** 2
    return 2 + trial.suggest_float("wc", 0, 1)


def zdt1(x):
    g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
    return x[0], g * (1 - math.sqrt(x[0] / g))


def dtlz2(x):
    g = sum((v - 0.5) ** 2 for v in x[2:])
    u, v = x[0] * math.pi / 2, x[1] * math.pi / 2
    return (
        (1 + g) * math.cos(u) * math.cos(v),
        (1 + g) * math.cos(u) * math.sin(v),
        (1 + g) * math.sin(u),
    )


# name: (function, dimensions, hypervolume reference); must match bench/functions.ts.
MULTI_OBJECTIVE = {
    "zdt1": (zdt1, 6, (1.1, 11.0)),
    "dtlz2": (dtlz2, 6, (1.5, 1.5, 1.5)),
}


def hypervolume(points, reference):
    """Exact hypervolume of loss points within the reference, by slicing along the last
    objective (same definition as src/optim/tpe/motpe.ts)."""
    m = len(reference)
    inside = [p for p in points if all(p[j] < reference[j] for j in range(m))]
    if not inside:
        return 0.0
    if m == 1:
        return reference[0] - min(p[0] for p in inside)
    inside.sort(key=lambda p: p[m - 1])
    volume = 0.0
    for i, p in enumerate(inside):
        top = inside[i + 1][m - 1] if i + 1 < len(inside) else reference[m - 1]
        if top > p[m - 1]:
            below = [q[: m - 1] for q in inside[: i + 1]]
            volume += (top - p[m - 1]) * hypervolume(below, reference[: m - 1])
    return volume


def run_multi(problem, sampler_name, trials, seed):
    """Hypervolume of the front after `trials` trials, with Optuna's default options."""
    fn, dims, reference = MULTI_OBJECTIVE[problem]
    if sampler_name == "tpe":
        sampler = optuna.samplers.TPESampler(seed=seed)
    else:
        sampler = optuna.samplers.NSGAIISampler(seed=seed)
    study = optuna.create_study(sampler=sampler, directions=["minimize"] * len(reference))
    study.optimize(
        lambda t: fn([t.suggest_float(f"x{i}", 0.0, 1.0) for i in range(dims)]),
        n_trials=trials,
    )
    return hypervolume([tuple(t.values) for t in study.best_trials], reference)


# Problems with ints, categoricals and conditions; run with the default sampler only.
PROBLEMS = {"mixed": mixed, "conditional": conditional}

CONFIGS = {
    "defaults": {},
    "multivariate": {"multivariate": True},
    "independent": {"multivariate": False},
}


def objective_for(fn, bounds):
    def objective(trial):
        x = [trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)]
        return fn(x)

    return objective


def run(name, config, trials, seed):
    if name in PROBLEMS:
        objective = PROBLEMS[name]
    else:
        fn, bounds = FUNCTIONS[name]
        objective = objective_for(fn, bounds)
    sampler = optuna.samplers.TPESampler(seed=seed, **CONFIGS[config])
    study = optuna.create_study(sampler=sampler, direction="minimize")
    start, cpu = time.perf_counter(), time.process_time()
    study.optimize(objective, n_trials=trials)
    return study.best_value, time.perf_counter() - start, time.process_time() - cpu


def serve():
    """Ask/tell loops driven by the caller over stdin/stdout, one JSON object a line, so that
    the objective (e.g. the BBOB functions of bench/bbob/) is evaluated by the caller, the same
    code for both sides. The caller sends {"dims", "low", "high", "trials", "seed"}; for each
    trial this prints {"x": [...]} and reads {"y": value}; then prints {"done": true,
    "seconds": sampler wall time}. An empty line or end of input stops.
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    print(json.dumps({"ready": True, "optuna": optuna.__version__}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            break
        job = json.loads(line)
        sampler = optuna.samplers.TPESampler(seed=job["seed"])
        study = optuna.create_study(sampler=sampler, direction="minimize")
        names = [f"x{i}" for i in range(job["dims"])]
        dists = {n: optuna.distributions.FloatDistribution(job["low"], job["high"]) for n in names}
        seconds = 0.0
        for _ in range(job["trials"]):
            start = time.perf_counter()
            trial = study.ask(dists)
            seconds += time.perf_counter() - start
            print(json.dumps({"x": [trial.params[n] for n in names]}), flush=True)
            y = json.loads(sys.stdin.readline())["y"]
            start = time.perf_counter()
            study.tell(trial, y)
            seconds += time.perf_counter() - start
        print(json.dumps({"done": True, "seconds": seconds}), flush=True)


def main():
    if "--serve" in sys.argv:
        serve()
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--functions", default=",".join(FUNCTIONS))
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--seed-offset", type=int, default=0)
    parser.add_argument("--timing-trials", type=int, default=1000)
    parser.add_argument("--timing-repeats", type=int, default=3)
    parser.add_argument("--mo-trials", type=int, default=200)
    parser.add_argument("--mo-seeds", type=int, default=10)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    out = {"optuna": optuna.__version__, "results": {}}
    for config in args.configs.split(","):
        per_fn = {}
        for name in args.functions.split(","):
            bests = [run(name, config, args.trials, seed)[0]
                for seed in range(args.seed_offset, args.seed_offset + args.seeds)]
            per_fn[name] = {"median": statistics.median(bests), "bests": bests}
            print(f"optuna {config} {name}: {per_fn[name]['median']}", file=sys.stderr)
        out["results"][config] = per_fn
    out["problems"] = {}
    for name in PROBLEMS:
        bests = [
            run(name, "defaults", args.trials, seed)[0]
            for seed in range(args.seed_offset, args.seed_offset + args.seeds)
        ]
        out["problems"][name] = {"median": statistics.median(bests), "bests": bests}
        print(f"optuna defaults {name}: {out['problems'][name]['median']}", file=sys.stderr)
    if args.mo_trials > 0:
        out["multiObjective"] = {}
        for problem in MULTI_OBJECTIVE:
            out["multiObjective"][problem] = {}
            for name in ("tpe", "nsga2"):
                hvs = [run_multi(problem, name, args.mo_trials, seed) for seed in range(args.mo_seeds)]
                out["multiObjective"][problem][name] = {"median": statistics.median(hvs), "hvs": hvs}
                print(f"optuna {name} {problem} hypervolume: {statistics.median(hvs)}", file=sys.stderr)
    if args.timing_trials > 0:
        # Includes the objective (negligible) and Optuna's in-memory storage: what a user waits.
        # Fastest of a few runs, like timeit: the machine may be shared.
        runs = [run("hartmann6", "defaults", args.timing_trials, 0) for _ in range(args.timing_repeats)]
        seconds = min(r[1] for r in runs)
        cpu = min(r[2] for r in runs)
        out["msPerTrial"] = {"hartmann6": seconds * 1000 / args.timing_trials}
        out["cpuMsPerTrial"] = {"hartmann6": cpu * 1000 / args.timing_trials}
        out["timingRepeats"] = args.timing_repeats
        out["timingTrials"] = args.timing_trials
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
