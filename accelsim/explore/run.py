"""Run a sweep: every (design, workload, mode) point of a space, locally or on a Dask cluster.

Local runs use a process pool over all cores (``spawn`` start method: workers import the
simulator fresh, so no Numba thread pool is ever forked).  ``scheduler="tcp://host:port"``
sends the same chunks to an existing Dask distributed cluster instead; its workers must be able
to import accelsim (same version) and see the trace directories at the same paths (a shared
filesystem).  Either way the results are
appended by this process as chunks finish, so an interrupted sweep resumes where it stopped.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import json
import math
import multiprocessing
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from accelsim.explore.inputs import resolve_space, trace_paths
from accelsim.explore.points import Backend, clear_process_caches, default_backend, evaluate_chunk
from accelsim.explore.spec import Space, design_id
from accelsim.explore.store import ResultStore, row_key
from accelsim.explore.workloads import Workload, discover_workloads
from accelsim.io import git_commit, provenance
from accelsim.io import package_versions as package_versions_of
from accelsim.traces import read_manifest

__all__ = ["SweepConfig", "SweepSummary", "SweepError", "run_sweep", "package_versions"]

_PACKAGES = ("accelsim", "numpy", "numba", "scipy", "matplotlib", "tqdm", "dask", "distributed")


@dataclass(frozen=True)
class SweepConfig:
    """What to sweep and where.

    space: a TOML path, a built-in space name, a :class:`Space`, or a list of ``Design`` objects;
    traces: trace directories (or folders of them) and/or ``Trace`` objects built in Python (saved once under
    ``<out>/traces/``, see :mod:`accelsim.explore.inputs`); out: results directory; jobs: local worker processes (0 = all cores, 1 = in this process);
    scheduler: Dask scheduler address (overrides jobs); chunk: points per task (0 = automatic).
    connect_timeout_s: how long to try to reach the Dask scheduler; worker_wait_s: how long a Dask sweep waits
    while its cluster has no worker (all died) before it stops with an error (finished points are kept).
    """

    space: Any
    traces: tuple
    out: str
    jobs: int = 0
    scheduler: str | None = None
    progress: bool = True
    chunk: int = 0
    connect_timeout_s: float = 10.0
    worker_wait_s: float = 60.0

    def __post_init__(self) -> None:
        if isinstance(self.space, list):  # a frozen config keeps tuples
            object.__setattr__(self, "space", tuple(self.space))
        if not isinstance(self.traces, tuple):
            object.__setattr__(self, "traces", tuple(self.traces) if isinstance(self.traces, (list, set)) else (self.traces,))
        object.__setattr__(self, "out", str(self.out))
        for name in ("jobs", "chunk"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise SweepError(f"{name} must be an integer >= 0 (0 = automatic), got {v!r}")
        for name in ("connect_timeout_s", "worker_wait_s"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
                raise SweepError(f"{name} must be a positive number of seconds, got {v!r}")
        if self.scheduler is not None:
            _scheduler_address(self.scheduler)


class SweepError(ValueError):
    """A sweep cannot run or cannot finish: bad settings, an unreachable Dask scheduler, a cluster that lost its workers."""


_SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")


def _scheduler_address(address: str) -> str:
    """``address`` as a Dask scheduler URL (``host:port`` gets ``tcp://``); raises SweepError when it is not one."""
    import re

    addr = address.strip()
    if "://" not in addr:
        addr = "tcp://" + addr
    scheme, _, rest = addr.partition("://")
    if scheme == "inproc" and rest:
        return addr
    m = re.fullmatch(r"(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.\-_]+):(\d{1,5})", rest)
    if scheme not in _SCHEMES or not m or not 0 < int(m.group(2)) < 65536:
        raise SweepError(f"--scheduler {address!r} is not a Dask scheduler address; give scheme://host:port, e.g. tcp://10.0.0.5:8786")
    return addr


@dataclass(frozen=True)
class SweepSummary:
    out: Path
    points: int  # points in the space (designs x workloads x modes)
    evaluated: int  # points evaluated by this call (the rest were already in the store)
    seconds: float
    designs: int
    workloads: int


def package_versions() -> dict[str, str]:
    return {**package_versions_of(_PACKAGES), "platform": platform.platform(), "accelsim_git": git_commit()}


def _trace_provenance(workloads: list[Workload]) -> list[dict]:
    out = []
    for wl in workloads:
        for t in wl.traces:
            m = t.manifest or read_manifest(t.path)  # read at discovery; again only if this ref was pickled
            out.append(
                {
                    "workload_id": wl.workload_id,
                    "path": t.path,
                    "run_id": t.run_id,
                    "pattern": str(t.pattern),
                    "plan": t.plan,  # "" for a uniform run
                    "patterns": [str(p) for p in t.patterns],
                    "method": t.method,  # criterion/mitigation, and the units a core needs to run it
                    "units": list(t.units),
                    "fingerprint": t.fingerprint,
                    "accuracy": m.accuracy.to_dict() if m.accuracy else None,
                    "protocol": m.protocol,
                    "config": m.config.to_dict(),
                    "model_info": m.model_info,
                    "capture_versions": m.versions,
                    "capture_provenance": m.extra.get("provenance"),
                    "layers": len(m.layers),
                    "rows_per_layer": sorted({e.tokens_stored for e in m.layers}),
                }
            )
    return out


def _sweep_meta(space: Space, workloads: list[Workload], design_cls: type) -> dict:
    spec = {k: v for k, v in space.resolved.items() if k not in ("source", "toml")}
    traces = _trace_provenance(workloads)
    # the workload ids too: rows are keyed by them, so a resume must not mix two ways of grouping the same traces
    key = json.dumps({"spec": spec, "traces": sorted(t["fingerprint"] for t in traces),
                      "workloads": sorted(wl.workload_id for wl in workloads)}, sort_keys=True, default=str)
    return {
        "fingerprint": hashlib.sha256(key.encode()).hexdigest()[:16],
        "spec": space.resolved,
        "design_fields": [f.name for f in dataclasses.fields(design_cls) if f.name != "name"],
        "workloads": [
            {"workload_id": wl.workload_id, "dense_perplexity": wl.dense_perplexity, "layers_evaluated": list(wl.layers) if wl.layers else "all",
             "macs_per_token": wl.macs_per_token}
            for wl in workloads
        ],
        "traces": traces,
        "versions": package_versions(),
        "provenance": provenance(),  # the code of this (latest) run; every row carries its own "code"
        "rejected_designs": [{"combination": c, "reason": r} for c, r in space.rejected[:20]],
    }


def _usable_cores() -> int:
    """Cores this process may run on (CPU affinity, e.g. a container's limit), else the machine's."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _watch_parent(parent: int, period_s: float = 0.5) -> None:
    while True:
        if os.getppid() != parent:  # the sweep process died (even by SIGKILL): this worker's results have nowhere to go
            os._exit(1)
        time.sleep(period_s)


def _worker_init(parent: int | None = None) -> None:
    # One thread per worker process: the pool already uses every core.
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    if parent is not None:  # a daemon thread: a pool worker dies with its parent, however the parent ends
        import threading

        threading.Thread(target=_watch_parent, args=(parent,), name="accelsim-parent-watch", daemon=True).start()


def _chunks(points: list, size: int) -> list[list]:
    return [points[i : i + size] for i in range(0, len(points), size)]


def _executor_results(chunks, constraints, backend_arg, jobs):
    ctx = multiprocessing.get_context("spawn")
    pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(),))
    futs = [pool.submit(evaluate_chunk, c, constraints, backend_arg) for c in chunks]
    finished = False
    try:
        for fut in cf.as_completed(futs):
            yield fut.result()
        finished = True
    finally:
        # interrupted or failed: drop queued chunks and do not wait for running ones (workers exit with this process)
        pool.shutdown(wait=finished, cancel_futures=True)


def _connect(address: str, timeout_s: float):
    """A Dask client of the scheduler at ``address``; raises SweepError within about ``timeout_s`` when there is none."""
    import socket

    from distributed import Client

    addr = _scheduler_address(address)
    scheme, _, rest = addr.partition("://")
    if scheme in ("tcp", "tls", "ws", "wss"):  # a plain TCP probe first: a refused port fails at once, not after the timeout
        host, _, port = rest.rpartition(":")
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
        except OSError as e:
            raise SweepError(f"cannot reach a Dask scheduler at {addr} ({e.strerror or e}); check the address and that "
                             "`dask scheduler` runs there") from None  # fmt: skip
    try:
        return Client(addr, set_as_default=False, timeout=timeout_s)
    except (OSError, TimeoutError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise SweepError(f"cannot reach a Dask scheduler at {addr} within {timeout_s:g} s ({reason:.160}); check the address and "
                         "that `dask scheduler` runs there") from None  # fmt: skip


def _dask_results(chunks, constraints, backend_arg, client, worker_wait_s: float = 60.0, poll_s: float = 1.0):
    """Chunk results as they finish on the cluster.

    Dask resubmits a lost worker's tasks to the remaining workers by itself; a task that keeps killing
    workers ends as KilledWorker, and a cluster with no worker left would wait forever: after
    ``worker_wait_s`` without any worker this stops with a :class:`SweepError` (finished rows are kept).
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    address = client.scheduler.address
    with client:
        futs = [client.submit(evaluate_chunk, c, constraints, backend_arg, pure=False) for c in chunks]
        ready = as_completed(futs, loop=client.loop)  # this client need not be the default one
        left, idle_since, checked = len(futs), None, time.monotonic()
        try:
            while left:
                batch = ready.next_batch(block=False) if ready.has_ready() else []
                for fut in batch:
                    left -= 1
                    try:
                        yield fut.result()
                    except KilledWorker as e:
                        raise SweepError(f"Dask workers died while running points ({e}); {left} chunks unfinished; check "
                                         "the workers' memory and logs, then rerun the same command: finished points are kept") from None  # fmt: skip
                now = time.monotonic()
                if batch:
                    idle_since = None
                    continue
                time.sleep(min(0.05, poll_s))
                if now - checked < poll_s:
                    continue
                checked = now
                try:
                    workers = len(client.nthreads())
                except (OSError, TimeoutError) as e:
                    raise SweepError(f"lost the Dask scheduler at {address} ({e}); rerun the same command: finished points are kept") from None
                if workers:
                    idle_since = None
                elif idle_since is None:
                    idle_since = now
                elif now - idle_since > worker_wait_s:
                    raise SweepError(f"the Dask cluster at {address} has had no worker for {worker_wait_s:g} s ({left} chunks "
                                     "unfinished); start workers (`dask worker ADDRESS`) and rerun the same command: finished points are kept")  # fmt: skip
        finally:
            client.cancel(futs)


def run_sweep(cfg: SweepConfig, *, backend: Backend | None = None, on_chunk: Callable[[int], None] | None = None) -> SweepSummary:
    """Evaluate every point of ``cfg.space`` not yet in ``cfg.out``; returns a summary.

    on_chunk: called with the number of rows after each chunk is stored (progress hooks, tests).
    """
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    backend_arg = backend  # None: workers import accelsim.sim / accelsim.cost themselves
    backend = backend or default_backend()
    space = resolve_space(cfg.space, design_cls=backend.design_cls, presets=backend.presets)
    workloads = discover_workloads(trace_paths(cfg.traces, cfg.out))
    client = _connect(cfg.scheduler, cfg.connect_timeout_s) if cfg.scheduler else None  # before anything is written
    store = ResultStore(cfg.out)
    meta = _sweep_meta(space, workloads, backend.design_cls)
    try:
        done = store.open(meta)
    except BaseException:
        if client is not None:
            client.close()
        raise
    code = meta["provenance"]["code"]
    # a core runs the workloads of the operand it skips (Workload.accepts)
    allpts = [(d, wl, m) for d in space.designs for wl in workloads if wl.accepts(d) for m in space.modes]
    pending = [p for p in allpts if (design_id(p[0]), p[1].workload_id, p[2]) not in done]
    jobs = cfg.jobs or _usable_cores()
    size = cfg.chunk or max(1, min(64, math.ceil(len(pending) / (jobs * 8))))
    chunks = _chunks(pending, size)
    if cfg.scheduler:
        results = _dask_results(chunks, space.constraints, backend_arg, client, cfg.worker_wait_s)
    elif jobs == 1 or len(chunks) <= 1:
        results = (evaluate_chunk(c, space.constraints, backend) for c in chunks)
    else:
        results = _executor_results(chunks, space.constraints, backend_arg, min(jobs, len(chunks)))
    evaluated = 0
    with tqdm(total=len(allpts), initial=len(allpts) - len(pending), unit="pt", disable=not cfg.progress, desc=space.name) as bar:
        try:
            for rows in results:
                fresh = [{**r, "code": code} for r in rows if row_key(r) not in done]  # never write a key twice
                store.append(fresh)
                done.update(row_key(r) for r in fresh)
                evaluated += len(fresh)
                bar.update(len(rows))
                if on_chunk is not None:
                    on_chunk(len(rows))
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                close()
            clear_process_caches()  # prepared traces of an in-process run: free them with the sweep
            store.close()
    store.finalize()
    return SweepSummary(Path(cfg.out), len(allpts), evaluated, time.perf_counter() - t0, len(space.designs), len(workloads))
