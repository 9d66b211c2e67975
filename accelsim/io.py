"""Shared I/O: atomic file writes, provenance (package versions, accelsim commit), the user cache directory, file locks.

Every output of accelsim (trace manifests, sweep results, reports, cached corpora) is written through
:func:`atomic_write_bytes`: a unique temporary sibling, fsync, then rename, so a reader sees either the old
file or the complete new one.  :func:`cache_dir` is where downloaded or derived inputs (model weights,
corpora) live, never the source tree, so a non-editable install works.  :func:`exclusive_lock` keeps two
processes from writing one output directory (``filelock``: flock on POSIX, LockFileEx on Windows, where ``fcntl``
does not exist).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["atomic_write_bytes", "atomic_write_text", "atomic_write_json", "dumps_json", "package_versions", "git_commit",
           "cache_dir", "LockBusy", "exclusive_lock", "current_umask", "code_id", "provenance", "source_sha256", "file_sha256", "package_version"]  # fmt: skip


def atomic_write_bytes(path: "str | Path", data: bytes) -> None:
    """Write ``data`` to ``path`` via a unique temporary file and rename (readers never see half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o666 & ~current_umask())  # mkstemp makes 0600; the file gets the mode open() would give it
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def current_umask() -> int:
    """The process's umask (read from /proc on Linux; elsewhere set and restored at once)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_text(path: "str | Path", text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode())


def dumps_json(obj: Any) -> str:
    """The JSON text accelsim writes: indented, sorted keys, unknown objects as ``str``, trailing newline."""
    return json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n"


def atomic_write_json(path: "str | Path", obj: Any) -> None:
    """Write ``obj`` as JSON (:func:`dumps_json`) to ``path`` atomically."""
    atomic_write_text(path, dumps_json(obj))


def git_commit() -> str:
    """Commit of the accelsim checkout (with "+dirty" when it has local changes), or "unknown"."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "accelsim"],
                               capture_output=True, text=True, timeout=10)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if head.returncode:
        return "unknown"
    return head.stdout.strip()[:12] + ("+dirty" if dirty.stdout.strip() else "")


def _package_root() -> Path:
    return Path(__file__).resolve().parent


@functools.lru_cache(maxsize=None)
def source_sha256(*subpackages: str) -> str:
    """SHA-256 of the accelsim source (``*.py`` and ``*.toml`` under the package, or under the given subpackages or
    modules, e.g. ``"capture", "masks", "traces.py"``): relative paths and contents, in sorted order.

    Identifies the code when there is no git checkout (an installed wheel) or the checkout has local changes.
    """
    root = _package_root()
    targets = [root / s for s in subpackages] if subpackages else [root]
    files: list[Path] = []
    for t in targets:
        if t.is_file():
            files.append(t)
        elif t.is_dir():
            files.extend(p for p in t.rglob("*") if p.suffix in (".py", ".toml") and "__pycache__" not in p.parts)
    h = hashlib.sha256()
    for f in sorted(set(files)):
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def code_id(*subpackages: str) -> str:
    """One string that identifies the accelsim code: the git commit of a clean checkout (``"c7171f8a1b2c"``);
    with local changes or outside a checkout, the commit or package version plus a source hash
    (``"c7171f8a1b2c+dirty.src-3f2a..."``, ``"0.1.0+src-3f2a..."``).  subpackages: hash only those (see :func:`source_sha256`).
    """
    commit = git_commit()
    if commit != "unknown" and not commit.endswith("+dirty"):
        return commit
    src = source_sha256(*subpackages)[:12]
    if commit != "unknown":
        return f"{commit}.src-{src}"
    return f"{package_version()}+src-{src}"


def package_version() -> str:
    try:
        return metadata.version("accelsim")
    except metadata.PackageNotFoundError:
        return "unknown"


def provenance(*subpackages: str) -> dict[str, str]:
    """What identifies the code that made an output: ``code`` (:func:`code_id`), ``git_commit`` ("unknown" outside
    a checkout), ``accelsim_version`` and ``source_sha256`` (of the package, or of the given subpackages)."""
    return {"code": code_id(*subpackages), "git_commit": git_commit(), "accelsim_version": package_version(),
            "source_sha256": source_sha256(*subpackages)}  # fmt: skip


def file_sha256(path: "str | Path", chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def package_versions(packages: Iterable[str]) -> dict[str, str]:
    """{"python": X.Y.Z, package: version or "not installed", ...}."""
    out = {"python": platform.python_version()}
    for pkg in packages:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def cache_dir(*parts: str) -> Path:
    """The user cache directory (joined with ``parts``); not created.

    ``$ACCELSIM_CACHE`` if set, else ``$XDG_CACHE_HOME/accelsim``, else ``~/.cache/accelsim``
    (the XDG Base Directory Specification, https://specifications.freedesktop.org/basedir-spec/).
    """
    env = os.environ.get("ACCELSIM_CACHE")
    if env:
        root = Path(env).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = (Path(xdg).expanduser() if xdg and Path(xdg).is_absolute() else Path.home() / ".cache") / "accelsim"
    return root.joinpath(*parts)


class LockBusy(OSError):
    """Another process holds the lock."""


def exclusive_lock(path: "str | Path"):
    """Take an exclusive, non-blocking lock on ``path`` (created if missing); returns the held lock (``.release()``).

    Raises :class:`LockBusy` at once when another process (or another lock object in this one) holds it; the
    operating system drops the lock when its holder dies, so a crashed writer never leaves it stuck.
    """
    import filelock  # imported here: only writers need it

    lock = filelock.FileLock(str(path), timeout=0, thread_local=False, is_singleton=False)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise LockBusy(f"{path} is locked by another process") from None
    return lock
