"""Apply each mutant to a temporary copy of the project and run its tests there.

The project's own tree is only ever read: every mutant gets a fresh copy in a
temporary directory, the tests run with that copy as working directory and
first ``sys.path`` entry, and the copy is deleted afterwards. An interrupted
run (Ctrl-C, SIGTERM) stops its test processes and removes its temporary
directory; even a run killed outright leaves the tree as it was, because it
never wrote to it.

Before the mutants, a control run: the union of their tests on an unmutated
copy must pass, otherwise a "kill" would mean nothing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .model import Mutant, StaleMutant
from .plugin import RUNTIME, TREE

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path("docs") / "verification" / "mutants.json"
TIMEOUT = 600  # seconds per test run; a mutant that loops is reported, not waited for
COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "site",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
)
PYTEST = (
    "-m",
    "pytest",
    "-x",
    "-q",
    "-rf",
    "--no-header",
    "-p",
    "no:cacheprovider",
    "-p",
    "tests.mutants.plugin",
    "-o",
    "addopts=--strict-markers",
    "--hypothesis-seed=0",
)

# Statuses. Only "killed" is a success for a mutant.
KILLED, SURVIVED, STALE, BROKEN = "killed", "survived", "stale", "broken"
TIMEOUT_STATUS = "timeout"


@dataclass(frozen=True)
class Outcome:
    name: str
    status: str
    killed_by: str | None  # the first failing test's node id
    detail: str  # for broken/stale runs: why
    seconds: float


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived: stop the test processes and clean up."""


class Runner:
    """Runs mutants in parallel test processes, each in its own copy of the project."""

    def __init__(self, root: Path = ROOT, jobs: int = 2, extra_args: tuple[str, ...] = ()):
        self.root = root
        self.jobs = max(1, jobs)
        self.extra_args = extra_args
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._procs: set[subprocess.Popen] = set()
        self._workdir: Path | None = None
        self._pristine: Path | None = None

    # -- the copies ---------------------------------------------------------------------------
    def _fresh_copy(self, label: str) -> Path:
        assert self._workdir is not None and self._pristine is not None
        tree = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=self._workdir))
        shutil.copytree(self._pristine, tree, dirs_exist_ok=True, symlinks=True)
        return tree

    # -- one test process ----------------------------------------------------------------------
    def _pytest(self, tree: Path, tests, runtime: str | None) -> tuple[int, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(tree), *filter(None, [env.get("PYTHONPATH")])])
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["HYPOTHESIS_PROFILE"] = "mutants"  # registered in tests/conftest.py
        env[TREE] = str(tree)
        env.pop(RUNTIME, None)
        if runtime:
            env[RUNTIME] = runtime
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, "1")
        cmd = [sys.executable, *PYTEST, *self.extra_args, *tests]
        with self._lock:
            if self._stop.is_set():
                raise Interrupted
            proc = subprocess.Popen(
                cmd, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            self._procs.add(proc)
        try:
            out, _ = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            return -1, out
        finally:
            with self._lock:
                self._procs.discard(proc)
        if self._stop.is_set():
            raise Interrupted
        return proc.returncode, out

    def run_one(self, mutant: Mutant) -> Outcome:
        start = time.perf_counter()
        tree = self._fresh_copy(mutant.name)
        try:
            try:
                mutant.apply(tree)
            except StaleMutant as err:
                return Outcome(mutant.name, STALE, None, str(err), time.perf_counter() - start)
            print(f"started {mutant.name}", flush=True)
            code, out = self._pytest(tree, mutant.tests, mutant.runtime)
        finally:
            shutil.rmtree(tree, ignore_errors=True)
        seconds = time.perf_counter() - start
        failed = first_failure(out)
        if code == 1 and failed:
            return Outcome(mutant.name, KILLED, failed, "", seconds)
        if code == 0:
            return Outcome(mutant.name, SURVIVED, None, "", seconds)
        if code == -1:
            return Outcome(mutant.name, TIMEOUT_STATUS, None, f"over {TIMEOUT} s", seconds)
        return Outcome(mutant.name, BROKEN, None, tail(out), seconds)

    def control(self, mutants: list[Mutant]) -> tuple[bool, str]:
        """The union of the mutants' tests passes on an unmutated copy."""
        tests = list(dict.fromkeys(t for m in mutants for t in m.tests))
        tree = self._fresh_copy("control")
        try:
            code, out = self._pytest(tree, tests, None)
        finally:
            shutil.rmtree(tree, ignore_errors=True)
        return code == 0, out

    # -- the whole run ------------------------------------------------------------------------
    def run(self, mutants: list[Mutant], on_outcome=None) -> tuple[bool, str, list[Outcome]]:
        """Control run plus every mutant; returns (control passed, control output, outcomes)."""
        self._workdir = Path(tempfile.mkdtemp(prefix="cnnref-mutants-"))
        try:
            self._pristine = self._workdir / "pristine"
            shutil.copytree(self.root, self._pristine, ignore=COPY_IGNORE, symlinks=True)
            with ThreadPoolExecutor(max_workers=self.jobs) as pool:
                try:
                    control = pool.submit(self.control, mutants)
                    futures = [pool.submit(self.run_one, m) for m in mutants]
                    outcomes = []
                    for future in futures:
                        outcomes.append(_wait(future))
                        if on_outcome:
                            on_outcome(outcomes[-1])
                    passed, output = _wait(control)
                except BaseException:
                    self._stop.set()
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._kill_all()
                    raise
            return passed, output, outcomes
        finally:
            self._stop.set()
            self._kill_all()
            shutil.rmtree(self._workdir, ignore_errors=True)

    def _kill_all(self) -> None:
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


def _wait(future):
    """``future.result()``, in short waits so that a signal handler can interrupt it."""
    while True:
        try:
            return future.result(timeout=0.2)
        except TimeoutError:
            continue


def first_failure(output: str) -> str | None:
    """The node id of the first ``FAILED`` line of pytest's short summary."""
    for line in output.splitlines():
        if line.startswith("FAILED "):
            return line[len("FAILED ") :].split(" - ", 1)[0].strip()
    return None


def tail(output: str, lines: int = 15) -> str:
    return "\n".join(output.strip().splitlines()[-lines:])


def results_document(mutants: list[Mutant], outcomes: list[Outcome]) -> dict:
    """The kill table as the site shows it: sorted by name, no timings, nothing machine-bound."""
    by_name = {o.name: o for o in outcomes}
    rows = []
    for m in sorted(mutants, key=lambda m: m.name):
        outcome = by_name[m.name]
        rows.append(
            {
                "name": m.name,
                "target": m.target,
                "description": m.description,
                "source": m.source,
                "status": outcome.status,
                "killed_by": outcome.killed_by,
                **({"report": dataclasses.asdict(m.report)} if m.report else {}),
            }
        )
    counts = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return {"mutants": rows, "summary": dict(sorted(counts.items())), "total": len(rows)}


def write_json_atomically(path: Path, document: dict) -> None:
    """Write to a temporary file in the same folder, then rename over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def table(mutants: list[Mutant], outcomes: list[Outcome]) -> str:
    """A plain-text table, in catalogue order."""
    targets = {m.name: m.target for m in mutants}
    rows = [("mutant", "target", "status", "killed by", "s")]
    for o in outcomes:
        shown = o.killed_by or (o.detail.splitlines()[-1] if o.detail else "")
        rows.append((o.name, targets[o.name], o.status, shown, f"{o.seconds:.1f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for r in rows:
        cells = [r[i].ljust(widths[i]) for i in range(4)]
        lines.append("  ".join([*cells, r[4].rjust(5)]))
    return "\n".join(lines)


def install_signal_handlers() -> None:
    """Turn SIGTERM (and SIGINT) into :class:`Interrupted`, so cleanup runs."""

    def handler(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise Interrupted(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
