"""Optuna 5 with its RDB storage on PostgreSQL, for bench/durable-sweep.ts.

``python3 optuna_durable.py throughput --url URL --trials N --workers 2 --sampler tpe|random``:
``workers`` processes share one study (Optuna's distributed mode), each running
``study.optimize`` on a trivial objective; prints ``{"trials_per_s": ...}``.

``python3 optuna_durable.py kill --url URL --trials N``: two worker processes run 50 ms
trials; once 10 trials are complete one worker is killed with SIGKILL mid-trial; after the
other finishes, prints how many trials are left in state RUNNING (Optuna without its
experimental heartbeat never fails them).
"""

import argparse
import json
import multiprocessing as mp
import os
import signal
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def trivial(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    return x * x + y * y


def sleepy(trial):
    value = trivial(trial)
    time.sleep(0.05)
    return value


def sampler(kind, seed):
    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def work(url, name, kind, n, seed, objective):
    study = optuna.load_study(study_name=name, storage=url, sampler=sampler(kind, seed))
    study.optimize(objective, n_trials=n)


def throughput(args):
    name = f"tp-{args.sampler}-{os.getpid()}-{time.time_ns()}"
    optuna.create_study(study_name=name, storage=args.url)
    per = args.trials // args.workers
    procs = [
        mp.Process(target=work, args=(args.url, name, args.sampler, per, i, trivial))
        for i in range(args.workers)
    ]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    wall = time.perf_counter() - t0
    study = optuna.load_study(study_name=name, storage=args.url)
    done = len(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)))
    return {"sampler": args.sampler, "trials": done, "wall_s": round(wall, 3), "trials_per_s": round(done / wall, 1)}


def kill(args):
    name = f"kill-{os.getpid()}-{time.time_ns()}"
    optuna.create_study(study_name=name, storage=args.url)
    per = args.trials // 2
    procs = [mp.Process(target=work, args=(args.url, name, "tpe", per, i, sleepy)) for i in range(2)]
    for p in procs:
        p.start()
    study = optuna.load_study(study_name=name, storage=args.url)
    State = optuna.trial.TrialState
    while len(study.get_trials(states=(State.COMPLETE,))) < 10:
        time.sleep(0.01)
    os.kill(procs[0].pid, signal.SIGKILL)
    for p in procs:
        p.join()
    states = [t.state for t in study.get_trials()]
    return {
        "worker_kills": 1,
        "stuck_running": sum(1 for s in states if s == State.RUNNING),
        "complete": sum(1 for s in states if s == State.COMPLETE),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["throughput", "kill"])
    ap.add_argument("--url", required=True)
    ap.add_argument("--trials", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sampler", default="tpe")
    args = ap.parse_args()
    out = throughput(args) if args.mode == "throughput" else kill(args)
    out["optuna"] = optuna.__version__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
