"""accelsim.io: cache directory resolution and atomic writes."""

import json
from pathlib import Path

from accelsim.io import atomic_write_json, cache_dir, git_commit, package_versions


def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ACCELSIM_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert cache_dir("models") == tmp_path / "home" / ".cache" / "accelsim" / "models"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "accelsim"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG spec: relative paths are invalid
    assert cache_dir() == tmp_path / "home" / ".cache" / "accelsim"
    monkeypatch.setenv("ACCELSIM_CACHE", str(tmp_path / "mine"))
    assert cache_dir("data", "x.txt") == tmp_path / "mine" / "data" / "x.txt"
    assert not (tmp_path / "mine").exists()  # resolving never creates it


def test_atomic_write_json_replaces_and_leaves_no_temp(tmp_path):
    path = tmp_path / "sub" / "a.json"
    atomic_write_json(path, {"b": 1, "a": Path("p")})
    atomic_write_json(path, {"b": 2, "a": Path("p")})
    assert json.loads(path.read_text()) == {"a": "p", "b": 2}
    assert path.read_text().index('"a"') < path.read_text().index('"b"')  # sorted keys
    assert [p.name for p in path.parent.iterdir()] == ["a.json"]


def test_provenance():
    v = package_versions(["numpy", "surely-not-a-package-xyz"])
    assert v["numpy"][0].isdigit() and v["surely-not-a-package-xyz"] == "not installed"
    c = git_commit()
    assert c == "unknown" or len(c.split("+")[0]) == 12


def test_exclusive_lock_refuses_a_second_holder_until_released(tmp_path):
    import subprocess
    import sys

    import pytest

    from accelsim.io import LockBusy, exclusive_lock

    held = exclusive_lock(tmp_path / ".lock")
    with pytest.raises(LockBusy, match=r"\.lock is locked"):
        exclusive_lock(tmp_path / ".lock")
    code = "import sys; from accelsim.io import LockBusy, exclusive_lock\ntry:\n exclusive_lock(sys.argv[1])\nexcept LockBusy:\n sys.exit(3)"
    assert subprocess.run([sys.executable, "-c", code, str(tmp_path / ".lock")]).returncode == 3  # another process is refused too
    held.release()
    exclusive_lock(tmp_path / ".lock").release()
