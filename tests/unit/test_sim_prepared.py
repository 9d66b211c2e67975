"""The prepared-trace cache (accelsim.sim.TraceCache) and PreparedTrace's typed fields."""

import pytest

from accelsim.methods import mitigation
from accelsim.patterns import Pattern
from accelsim.sim import PreparedTrace, TraceCache, prepare
from accelsim.synthetic import synthetic_trace
from accelsim.traces import Trace


class Loader:
    """A stand-in for load_trace that counts its calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, path, layers=None):
        self.calls.append((path, layers))
        return synthetic_trace([(4, 16, 2)], pattern="2:4", run_id=f"t-{path}")


def test_trace_cache_loads_each_key_once_and_evicts_the_least_recent():
    load = Loader()
    cache = TraceCache(max_traces=2, load=load)
    a = cache.get("a")
    assert cache.get("a") is a and load.calls == [("a", None)]
    assert isinstance(a, PreparedTrace) and a.trace.run_id == "t-a"
    cache.get("a", layers=["x"])  # another layer selection is another entry
    assert len(cache) == 2 and load.calls[-1] == ("a", ["x"])
    cache.get("a")  # touch "a": the selection is now the least recent
    cache.get("b")
    assert len(cache) == 2
    cache.get("a")
    assert load.calls.count(("a", None)) == 1  # "a" survived
    cache.get("a", layers=["x"])
    assert load.calls.count(("a", ["x"])) == 2  # evicted, loaded again
    cache.clear()
    assert len(cache) == 0


def test_trace_cache_keys_on_the_prepare_function():
    load = Loader()
    cache = TraceCache(load=load)
    other = cache.get("a", prepare=lambda tr: ("stand-in", tr.run_id))
    assert other == ("stand-in", "t-a") and isinstance(cache.get("a"), PreparedTrace) and len(load.calls) == 2
    own = TraceCache(prepare=lambda tr: ("own", tr.run_id), load=load)  # the cache's default preparation
    assert own.get("b") == ("own", "t-b") and own.get("b", prepare=prepare) != ("own", "t-b")
    with pytest.raises(ValueError, match="max_traces"):
        TraceCache(max_traces=0)


def test_prepared_trace_holds_a_pattern_and_a_mitigation_entry():
    tr = synthetic_trace([(4, 16, 2)], pattern="8:16")
    prep = prepare(Trace(tr.run_id, tr.layers, {"config": {"pattern": "8:16", "mitigation": "D-PTS"}}))
    assert prep.pattern == Pattern("nm", n=8, m=16) and prep.mitigation == mitigation("dpts")
    assert prepare(prep) is prep
