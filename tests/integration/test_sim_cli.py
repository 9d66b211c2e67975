"""The thin CLI, python -m accelsim.sim."""

import json

import pytest

from accelsim.sim.__main__ import main


def test_cli_json_matches_library(capsys):
    from accelsim.sim import presets, simulate
    from accelsim.synthetic import synthetic_trace

    assert main(["--preset", "ampere-2:4", "--synthetic", "8,64,16", "--pattern", "2:4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = simulate(presets["ampere-2:4"], synthetic_trace([(8, 64, 16)], pattern="2:4"))
    assert out["cycles"] == ref.cycles and out["run_pattern"] == "2:4"


def test_cli_rejects_bad_input():
    with pytest.raises(SystemExit) as e:
        main(["--synthetic", "1,2"])
    assert e.value.code == 2
    with pytest.raises(SystemExit):
        main(["--preset", "tpu", "--synthetic", "8,64,16", "--pattern", "2:4"])
    assert main(["--trace", "/nonexistent/trace"]) == 2
