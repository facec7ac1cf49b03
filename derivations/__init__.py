"""Machine checks for every derivation step on the DAR-5-5 slides.

The build reads slide rows with its own grammar (deckbuild/rows.py) and needs
nothing from here but the checks, so importing this package stays cheap: SymPy,
numpy and the topic modules load only when checks are listed or run.

API used by the build:
- ``all_derivations() -> dict[str, Derivation]``
- ``run(derivation_id) -> list[StepResult]`` (never raises for a failing check)
- ``source_files() -> list[Path]`` (a change to any of them invalidates cached results)
- ``run_wrong_variants(derivation_id) -> list[tuple[Variant, StepResult]]`` (for tests)
- ``run_all(ids=None, workers=1) -> dict[str, list[StepResult]]`` (the whole suite, optionally
  split over worker processes); ``run_all_declared`` also returns each derivation's declaration
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from pathlib import Path

__all__ = ["all_derivations", "run", "run_all", "run_wrong_variants", "source_files",
           "Derivation", "Step", "StepResult", "Variant"]


def topics() -> list[str]:
    """Every module of the package: a new module with derivations in it needs no list to be found."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def _load():
    for topic in topics():
        importlib.import_module(f"{__name__}.{topic}")
    from . import registry

    return registry


def all_derivations():
    return _load().registered()


def run(derivation_id: str):
    reg = _load()
    d = reg.registered()[derivation_id]
    return [reg.execute(s.index, s.check) for s in d.steps]


def run_wrong_variants(derivation_id: str):
    """Each wrong variant with the result of its check; a sound engine gives ok=False for all."""
    reg = _load()
    d = reg.registered()[derivation_id]
    return [(v, reg.execute(v.step_index, v.check)) for v in d.wrong_variants]


# The topic modules, heaviest first (longest-processing-time first): each worker takes the next topic
# when it is free, so two workers finish close together. A topic keeps its derivations in one process,
# where the engine's memo proves an identity two of its slides share once. A module not named here
# is run after these; the order is a hint for balance, never a list to keep complete.
_HEAVIEST_FIRST = ("em", "gmm", "divergences", "jensen", "vae")
# Topics run by one worker, after the first of them: each imports scipy.stats (gmm's sklearn referee
# imports it too), a second of CPU that two workers would both pay.
_SAME_WORKER = (("gmm", "latent"),)


def _groups(names: list[str]) -> list[tuple[str, ...]]:
    """The topics as the worker tasks, heaviest first: each topic alone, but those of _SAME_WORKER together."""
    rank = {t: (_HEAVIEST_FIRST.index(t) if t in _HEAVIEST_FIRST else len(_HEAVIEST_FIRST), t) for t in names}
    together = {t: group for group in _SAME_WORKER for t in group}
    groups = dict.fromkeys(tuple(t for t in together.get(t, (t,)) if t in rank) for t in sorted(names, key=rank.get))
    return list(groups)


class _Report:
    """Progress events, from this process or (through `_events`) from a worker."""

    def __init__(self, on_done=None, on_total=None):
        self.on_done, self.on_total = on_done, on_total

    def event(self, kind: str, value) -> None:
        if kind == "total" and self.on_total:
            self.on_total(value)
        elif kind == "done" and self.on_done:
            self.on_done(value)


_events = None  # in a worker process: the queue its progress events go to

# Limits of a worker process. The whole suite takes a few seconds of CPU and a few hundred MB, so a
# worker past these is broken (a check that loops, an expression that explodes): it is stopped, and
# the build says so instead of waiting for it.
WORKER_MEMORY_BYTES = 4 << 30  # address space: a check that exceeds it gets a MemoryError (a failing step)
WORKER_CPU_SECONDS = 300  # the kernel ends a worker that computed this long
SUITE_SECONDS = 600.0  # wall clock for the whole suite, however loaded the machine: then the workers are ended
WORKER_NICENESS = 5


class WorkerFailed(RuntimeError):
    """A worker process died or overran its limits: a fault of the machine or of a check, never a result."""


def _start_worker(queue) -> None:
    """A worker of two on two cores: numerical libraries single-threaded (set before numpy loads), so that
    the workers and the build's own process do not oversubscribe the cores; memory and CPU limited."""
    import os

    global _events
    _events = queue
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    if hasattr(os, "nice"):
        # Below the build's own process, which evaluates the slides meanwhile under a per-formula time limit
        # and is what waits for these results anyway: on a busy machine it goes first.
        os.nice(WORKER_NICENESS)
    try:
        import resource
    except ImportError:  # not a POSIX system: the wall-clock limit of the suite still holds
        return
    for limit, value in ((resource.RLIMIT_AS, WORKER_MEMORY_BYTES), (resource.RLIMIT_CPU, WORKER_CPU_SECONDS)):
        soft, hard = resource.getrlimit(limit)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        if soft == resource.RLIM_INFINITY or soft > value:
            resource.setrlimit(limit, (value, hard))


def _in_topics(d, names) -> bool:
    return any(s.check.__module__ in {f"{__name__}.{t}" for t in names} for s in d.steps)


def _run_group(spec, report=None):
    """Run the derivations of `spec`: ("ids", ids) or ("topics", module names); each with its declaration."""
    kind, which = spec
    registered = all_derivations()
    order = [i for i, d in registered.items() if (i in which if kind == "ids" else _in_topics(d, which))]

    def emit(kind: str, value) -> None:
        if report:
            report.event(kind, value)
        elif _events is not None:
            _events.put((kind, value))

    emit("total", len(order))
    out = {}
    for i in order:
        d = registered[i]
        out[i] = ({"title": d.title, "steps": [{"relation": s.relation, "name": s.name} for s in d.steps]}, run(i))
        emit("done", i)
    return out


class Stopped(RuntimeError):
    """The caller no longer wants the results (its build failed): the workers were ended."""


def run_all(ids=None, workers: int = 1, on_done=None, on_total=None, stop=None):
    """Results for every derivation (or just `ids`): {id: [StepResult]}."""
    return {i: results for i, (_, results) in run_all_declared(ids, workers, on_done, on_total, stop).items()}


def run_all_declared(ids=None, workers: int = 1, on_done=None, on_total=None, stop=None):
    """{id: (declaration, results)}: run_all with each derivation's title and declared steps
    ({"title", "steps": [{"relation", "name"}]}), taken from the worker processes, so that the caller
    imports no SymPy.

    For a progress report, `on_total(n)` is called in this process when a group of n
    derivations starts and `on_done(derivation_id)` as each finishes; worker processes
    send both back through a queue. `stop` (a threading.Event): once set, the workers are ended and
    Stopped is raised, so that a build that failed meanwhile neither waits for them nor leaves them behind.
    """
    if workers <= 1:
        spec = ("ids", set(ids)) if ids is not None else ("ids", set(all_derivations()))
        return _run_group(spec, _Report(on_done, on_total))
    import concurrent.futures as cf
    import multiprocessing as mp

    if ids is None:
        specs = [("topics", group) for group in _groups(topics())]  # a module without derivations is done at once
    else:
        specs = [("ids", {i}) for i in sorted(ids)]
    context = mp.get_context("spawn")
    events = context.SimpleQueue() if on_done or on_total else None
    report = _Report(on_done, on_total)
    out = {}
    pool = cf.ProcessPoolExecutor(max_workers=min(workers, len(specs)), mp_context=context,
                                  initializer=_start_worker, initargs=(events,))
    started: list = []
    try:
        futures = [pool.submit(_run_group, spec) for spec in specs]
        started = _processes_of(pool)  # now: a broken pool forgets its processes before they are reaped
        pending = set(futures)
        deadline = time.monotonic() + SUITE_SECONDS
        while pending:  # a worker that dies ends its future, one that hangs meets the deadline
            _, pending = cf.wait(pending, timeout=0.1)
            while events is not None and not events.empty():
                report.event(*events.get())
            if pending and stop is not None and stop.is_set():
                raise Stopped("the derivation checks were stopped")
            if pending and time.monotonic() > deadline:
                raise WorkerFailed(f"the derivation checks did not finish within {SUITE_SECONDS:.0f} s")
        while events is not None and not events.empty():
            report.event(*events.get())
        for future in futures:
            out.update(future.result())
    except cf.process.BrokenProcessPool as exc:
        _end(pool, started or _processes_of(pool))
        raise WorkerFailed("a process running the derivation checks died (killed, out of memory, or over "
                           f"its {WORKER_CPU_SECONDS} s of CPU)") from exc
    except BaseException:  # the deadline, an interrupt: no worker outlives the call
        _end(pool, started or _processes_of(pool))
        raise
    pool.shutdown()
    return out


def _processes_of(pool) -> list:
    return list((getattr(pool, "_processes", None) or {}).values())  # no public way before Python 3.14


def _end(pool, processes: list) -> None:
    """Shut the pool down without waiting for a worker that hangs: the workers still running are killed (a worker
    holds nothing to clean up, and a stopped or wedged one ignores a polite SIGTERM): those named, and any the pool
    started since they were named."""
    processes = list({p.pid: p for p in [*processes, *_processes_of(pool)]}.values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.kill()
    for process in processes:
        process.join(timeout=5)
    manager = getattr(pool, "_executor_manager_thread", None)  # the pool's own thread, which reaps its workers
    if manager is not None:  # too: finished before the call returns, so nothing of the pool outlives it
        manager.join(timeout=5)


def source_files() -> list[Path]:
    """The checks, the model library they compute on (latexeval/families.py), and what draws the
    evaluator's parameters, on which their values are tied to the slide rows (ties.py)."""
    here = Path(__file__).parent
    latexeval = here.parent / "latexeval"
    return sorted(here.glob("*.py")) + [latexeval / name for name in ("families.py", "models.py", "relations.py")] \
        + sorted((latexeval / "notations").glob("*.yaml"))


def __getattr__(name):
    if name in ("Derivation", "Step", "StepResult", "Variant"):
        from . import registry

        return getattr(registry, name)
    raise AttributeError(name)
