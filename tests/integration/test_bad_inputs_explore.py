"""Adversarial runs of ``python -m accelsim.explore`` and ``run_sweep`` (issue 10): user errors end in one line and exit
code 2, before anything is written; a lost Dask worker set or a killed parent never leaves a hang or live workers."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from accelsim.explore import SweepConfig, SweepError, run_sweep
from accelsim.explore.points import Backend
from tests.support.explore_standin import BACKEND, StandInDesign, make_trace_set, prepare, price, simulate

ROOT = Path(__file__).resolve().parents[2]
PPL = {"dense": 10.0, "2:4": 14.0, "8:16": 12.0}
TOY = """
name = "toy"
[axes]
largest_pattern = ["dense", "2:4", "8:16"]
selector = ["naive", "window"]
pe_array = [4, 8, 16]
"""


def slow_simulate(design, prep, *, mode="prefill"):
    time.sleep(float(os.environ.get("ACCELSIM_TEST_POINT_S", "0.2")))
    return simulate(design, prep, mode=mode)


SLOW = Backend(StandInDesign, prepare, slow_simulate, price, BACKEND.presets)


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    root = tmp_path_factory.mktemp("traces")
    make_trace_set(root / "set", PPL)
    return root / "set"


@pytest.fixture()
def space(tmp_path):
    p = tmp_path / "toy.toml"
    p.write_text(TOY)
    return str(p)


# the CLI, driving the stand-in simulator (so these tests check the explorer, whatever state accelsim.sim is in)
_CLI = ("import sys; import accelsim.explore.run as R; from tests.support.explore_standin import BACKEND; "
        "R.default_backend = lambda: BACKEND; from accelsim.explore.__main__ import main; sys.exit(main(sys.argv[1:]))")  # fmt: skip


def cli(*args, timeout=60):
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-c", _CLI, "--no-progress", *map(str, args)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                       capture_output=True, text=True, timeout=timeout)  # fmt: skip
    return r, time.monotonic() - t0


def assert_one_line_error(r, *words):
    err = r.stderr.strip()
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and len(err.splitlines()) == 1 or err.splitlines()[-1].startswith("python -m"), err
    for w in words:
        assert w in err, err


def test_negative_chunk_is_refused_on_a_half_done_folder(space, traces, tmp_path):
    out = tmp_path / "res"
    r, _ = cli("--space", space, "--traces", traces, "--out", out, "--jobs", "1")
    assert r.returncode == 0, r.stderr
    rows = (out / "rows.jsonl").read_text().splitlines()
    (out / "rows.jsonl").write_text("\n".join(rows[:10]) + "\n")  # half done
    r, _ = cli("--space", space, "--traces", traces, "--out", out, "--chunk", "-1")
    assert r.returncode == 2 and "--chunk must be >= 0" in r.stderr and "Traceback" not in r.stderr
    assert len((out / "rows.jsonl").read_text().splitlines()) == 10  # nothing lost, nothing claimed done
    r, _ = cli("--space", space, "--traces", traces, "--out", out, "--jobs", "1")
    assert r.returncode == 0 and "15 points (5 new)" in r.stdout, r.stdout


@pytest.mark.parametrize("addr,words", [("tcp://127.0.0.1:1", "cannot reach a Dask scheduler at tcp://127.0.0.1:1"),
                                        ("not-an-address", "is not a Dask scheduler address")])  # fmt: skip
def test_bad_scheduler_address_fails_fast_with_one_line(space, traces, tmp_path, addr, words):
    r, secs = cli("--space", space, "--traces", traces, "--out", tmp_path / "res", "--scheduler", addr)
    assert_one_line_error(r, words)
    assert secs < 15
    assert not (tmp_path / "res").exists()  # nothing half-written


@pytest.mark.parametrize(
    "key,value,words",
    [("perplexity", float("nan"), "accuracy.perplexity is nan"), ("perplexity", float("inf"), "accuracy.perplexity is inf"),
     ("perplexity", -3.0, "accuracy.perplexity is -3.0"), ("O", 1e15, "O is 1000000000000000.0"), ("T", 10**12, "T is 1000000000000"),
     ("T", -5, "T is -5"), ("tokens_stored", 0, "tokens_stored is 0"), ("pattern", 5, "pattern is int 5")],
)  # fmt: skip
def test_bad_manifest_stops_explore_before_any_row(space, traces, tmp_path, key, value, words):
    import shutil

    bad = tmp_path / "tr"
    shutil.copytree(traces, bad)
    p = bad / "2_4" / "manifest.json"
    m = json.loads(p.read_text())
    if key == "perplexity":
        m["accuracy"][key] = value
    else:
        m["layers"][0][key] = value
    p.write_text(json.dumps(m))
    r, _ = cli("--space", space, "--traces", bad, "--out", tmp_path / "res", "--report", "--analysis-dir", tmp_path / "an")
    assert_one_line_error(r, words, "2_4")
    assert not (tmp_path / "res").exists() and not (tmp_path / "an").exists()


def test_list_manifest_and_zero_stored_rows_give_one_line(space, traces, tmp_path):
    import shutil

    for name, edit, words in (("list", lambda m: [m], "JSON list"), ("zero", None, "tokens_stored is 0")):
        bad = tmp_path / name
        shutil.copytree(traces, bad)
        p = bad / "8_16" / "manifest.json"
        m = json.loads(p.read_text())
        if edit is None:
            for e in m["layers"]:
                e["tokens_stored"] = 0
        else:
            m = edit(m)
        p.write_text(json.dumps(m))
        r, _ = cli("--space", space, "--traces", bad, "--out", tmp_path / f"res-{name}")
        assert_one_line_error(r, words)


def test_dask_sweep_whose_only_worker_dies_stops_with_a_clear_error(space, traces, tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv("ACCELSIM_TEST_POINT_S", "0.2")
    out = tmp_path / "dask"
    result = {}
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                                  dashboard_address=None) as cluster:  # fmt: skip
        def on_chunk(n):
            if "killed" not in result:  # the only worker goes away after the first chunk
                result["killed"] = True
                cluster.scale(0)

        def go():
            try:
                cfg = SweepConfig(space, (str(traces),), str(out), scheduler=cluster.scheduler_address, chunk=2, progress=False,
                                  worker_wait_s=2.0)  # fmt: skip
                result["summary"] = run_sweep(cfg, backend=SLOW, on_chunk=on_chunk)
            except Exception as e:  # noqa: BLE001 (the test inspects it)
                result["error"] = e

        th = threading.Thread(target=go, daemon=True)
        th.start()
        th.join(timeout=60)
        assert not th.is_alive(), "the sweep hangs after its only Dask worker died"
    err = result.get("error")
    assert isinstance(err, SweepError) and "has had no worker for 2 s" in str(err), result
    kept = (out / "rows.jsonl").read_text().splitlines()
    assert kept and all(json.loads(line) for line in kept)  # finished points are kept, no torn line


def _children(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                fields = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(d))
    return out


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_killing_a_pool_sweep_leaves_no_workers(space, traces, tmp_path):
    code = (
        "import sys; from accelsim.explore import SweepConfig, run_sweep\n"
        "from tests.integration.test_bad_inputs_explore import SLOW\n"
        f"run_sweep(SweepConfig({space!r}, ({str(traces)!r},), {str(tmp_path / 'res')!r}, jobs=2, chunk=9, progress=False), backend=SLOW)\n"
    )
    env = {**os.environ, "ACCELSIM_TEST_POINT_S": "5", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        kids: list[int] = []
        while time.monotonic() < deadline and len(kids) < 2:  # two pool workers (plus, perhaps, the resource tracker)
            time.sleep(0.5)
            kids = _children(proc.pid)
        assert len(kids) >= 2, f"pool workers never started: {kids}"
        time.sleep(3)  # the workers are busy with their first chunk (9 points x 5 s)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(map(_alive, kids)):
            time.sleep(0.25)
        left = [k for k in kids if _alive(k)]
        assert not left, f"processes {left} outlived their killed sweep"
    finally:
        if proc.poll() is None:
            proc.kill()
        for k in _children(proc.pid):
            os.kill(k, signal.SIGKILL)
