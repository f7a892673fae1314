"""The site, built once per test session and started early.

Building the site executes every notebook and takes most of a minute on one
core. When the browser tests are among those selected, the build starts as
soon as collection ends, in a separate process, and runs while the tests
before them use the other core; the browser tests' fixture then waits for it.
Run alone, a browser test builds the site the same way and waits at once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_build: tuple[subprocess.Popen, Path, Path] | None = None


def start() -> None:
    """Begin ``mkdocs build --strict`` into a fresh folder (once per session)."""
    global _build
    if _build is not None:
        return
    folder = Path(tempfile.mkdtemp(prefix="cnnref-site-"))
    log = folder.with_name(folder.name + ".log")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        )
    _build = (proc, folder, log)


def built() -> Path:
    """The built site's folder; an ``AssertionError`` with the log's end if the build failed."""
    start()
    proc, folder, log = _build
    returncode = proc.wait()
    assert returncode == 0, log.read_text(errors="replace")[-4000:]
    return folder


def cleanup() -> None:
    """Stop a build still running and remove its folder and log."""
    global _build
    if _build is None:
        return
    proc, folder, log = _build
    _build = None
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    shutil.rmtree(folder, ignore_errors=True)
    log.unlink(missing_ok=True)
