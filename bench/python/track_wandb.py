"""wandb's Python client in offline mode, on the same scenarios as bench/track.ts.

Run: python3 bench/python/track_wandb.py [--inits N] [--logs N] [--cold N] [--no-stats]
Prints one JSON object. bench/track.ts runs it when `import wandb` works, with the same counts
as its own side and `--no-stats`: the init/finish and log runs sample no system metrics on
either side (our `systemInterval: 0`, wandb's `x_disable_stats`); cold runs keep both defaults.

The local package mirror lacks OpenTelemetry's semantic-conventions package, which wandb's
telemetry module imports; `stub_semconv` stands in for it (only names are read from it), so
the numbers are wandb's own init/log/finish paths, not telemetry.
"""

import argparse
import importlib.abc
import importlib.machinery
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types


class _AnyName(type):
    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return name.lower().replace("_", ".")


class _SemconvStub(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name == "opentelemetry.semconv" or name.startswith("opentelemetry.semconv."):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []

        def getattr_(name):
            if name.startswith("__"):
                raise AttributeError(name)
            return _AnyName(name, (), {})

        module.__getattr__ = getattr_
        return module

    def exec_module(self, module):
        pass


def stub_semconv():
    try:
        import opentelemetry.semconv.resource  # noqa: F401
    except ImportError:
        sys.meta_path.append(_SemconvStub())


def cold_child(directory):
    """One fresh process: import wandb, init, log 10 points, finish."""
    stub_semconv()
    import wandb

    run = wandb.init(mode="offline", dir=directory, project="cold")
    for i in range(10):
        run.log({"loss": i})
    run.finish()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--inits", type=int, default=20)
    p.add_argument("--logs", type=int, default=100_000)
    p.add_argument("--cold", type=int, default=3)
    p.add_argument("--no-stats", action="store_true", help="no system metrics in init/log runs")
    p.add_argument("--cold-child", metavar="DIR")
    a = p.parse_args()
    os.environ["WANDB_SILENT"] = "true"
    os.environ["WANDB_MODE"] = "offline"
    if a.cold_child:
        cold_child(a.cold_child)
        return
    directory = tempfile.mkdtemp(prefix="wandb-bench-")
    cold = []
    for _ in range(a.cold):
        t = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--cold-child", directory], check=True)
        cold.append((time.perf_counter() - t) * 1000)

    stub_semconv()
    t = time.perf_counter()
    import wandb

    import_ms = (time.perf_counter() - t) * 1000
    # bench/track.ts turns its own sampler off for these runs; the same here.
    settings = wandb.Settings(x_disable_stats=a.no_stats)
    times = []
    for _ in range(a.inits + 1):
        t = time.perf_counter()
        run = wandb.init(
            mode="offline", dir=directory, project="bench", reinit="create_new", settings=settings
        )
        run.finish()
        times.append((time.perf_counter() - t) * 1000)

    run = wandb.init(
        mode="offline", dir=directory, project="bench", reinit="create_new", settings=settings
    )
    t = time.perf_counter()
    for i in range(a.logs):
        run.log({"loss": i})
    loop = time.perf_counter() - t
    run.finish()
    total = time.perf_counter() - t
    print(
        json.dumps(
            {
                "version": wandb.__version__,
                "importMs": round(import_ms, 1),
                "firstInitFinishMs": round(times[0], 2),
                "initFinishMedianMs": round(statistics.median(times[1:]), 2),
                "inits": a.inits,
                "coldProcessMedianMs": round(statistics.median(cold), 1) if cold else None,
                "coldRuns": a.cold,
                "logCalls": a.logs,
                "logCallsPerSec": round(a.logs / loop),
                "logCallsPerSecInclFinish": round(a.logs / total),
                "systemMetricsInInitAndLogRuns": not a.no_stats,
            }
        )
    )


if __name__ == "__main__":
    main()
