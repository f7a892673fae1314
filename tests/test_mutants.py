"""The mutation suite's machinery (tests/mutants): the catalogue fits the code, the runner
kills what it should, reports what survives, and never touches the project's tree."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .mutants import core, plugin
from .mutants.catalogue import all_mutants
from .mutants.model import Mutant, Patch, StaleMutant
from .mutants.runner import (
    KILLED,
    RESULTS,
    SURVIVED,
    Outcome,
    Runner,
    first_failure,
    results_document,
    write_json_atomically,
)

ROOT = Path(__file__).resolve().parents[1]
NOT_PROJECT = {
    ".git",
    ".venv",
    "site",
    "build",
    "dist",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
}


def by_name(name: str) -> Mutant:
    return next(m for m in all_mutants() if m.name == name)


def test_every_mutant_fits_the_current_code():
    # a refactor that moves a mutant's text makes it stale: fix the mutant, not the code
    problems = [p for m in all_mutants() for p in m.problems(ROOT)]
    assert not problems, "\n".join(problems)


def test_catalogue_covers_the_convolution_core():
    assert len(core.MUTANTS) >= 20
    patched = {p.path for m in core.MUTANTS for p in m.patches}
    modules = ("signal", "shapes", "geometry", "conv", "_columns", "_col2im", "_blocks")
    for module in (*modules, "_parallel", "naive"):
        assert f"cnnref/{module}.py" in patched, module
    targets = {m.target for m in core.MUTANTS}
    for strategy in ("small problems", "strided taps", "full-width rows"):
        assert f"col2im ({strategy})" in targets
    assert any(m.runtime for m in core.MUTANTS), "the run-time form is exercised"


def test_kill_table_is_the_current_catalogue():
    # the committed table (docs/verification/mutants.json) is rewritten by `make mutate`
    document = json.loads((ROOT / RESULTS).read_text())
    rows = {row["name"]: row for row in document["mutants"]}
    mutants = {m.name: m for m in all_mutants()}
    assert sorted(rows) == sorted(mutants), "run `make mutate` to rewrite the kill table"
    for name, row in rows.items():
        m = mutants[name]
        assert (row["target"], row["description"], row["source"]) == (
            m.target,
            m.description,
            m.source,
        ), f"{name}: run `make mutate` to rewrite the kill table"
        assert row["status"] == KILLED, name
        assert row["killed_by"].split("::")[0] in {t.split("::")[0] for t in m.tests}, name
    assert document["summary"] == {KILLED: len(mutants)}


def test_a_patch_must_match_exactly_once(tmp_path):
    (tmp_path / "cnnref").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("")
    (tmp_path / "cnnref" / "a.py").write_text("x = 1\nx = 1\ny = 2\n")

    def mutant(old, new):
        return Mutant(
            "m",
            "a",
            "one line",
            "one line",
            ("tests/test_a.py",),
            (Patch("cnnref/a.py", old, new),),
        )

    with pytest.raises(StaleMutant, match="found it 2 times"):
        mutant("x = 1", "x = 2").apply(tmp_path)
    with pytest.raises(StaleMutant, match="found it 0 times"):
        mutant("z = 3", "z = 4").apply(tmp_path)
    assert any("found it 0 times" in p for p in mutant("z = 3", "z = 4").problems(tmp_path))
    assert mutant("y = 2", "y = 3").problems(tmp_path) == []
    mutant("y = 2", "y = 3").apply(tmp_path)
    assert (tmp_path / "cnnref" / "a.py").read_text() == "x = 1\nx = 1\ny = 3\n"


def test_plugin_refuses_to_test_the_wrong_tree(tmp_path, monkeypatch):
    # were the tests to import the project's own cnnref, not the mutated copy,
    # every mutant would survive; the run stops instead
    monkeypatch.setenv(plugin.TREE, str(tmp_path))
    with pytest.raises(pytest.UsageError, match="not from the mutated copy"):
        plugin.pytest_configure(None)
    monkeypatch.setenv(plugin.TREE, str(ROOT))
    monkeypatch.delenv(plugin.RUNTIME, raising=False)
    plugin.pytest_configure(None)  # the right tree: accepted


def test_first_failure_reads_pytest_summary():
    out = "..F\nFAILED tests/test_a.py::test_b[x-1] - AssertionError: no\nFAILED tests/c.py::d\n"
    assert first_failure(out) == "tests/test_a.py::test_b[x-1]"
    assert first_failure("3 passed in 0.1s") is None


def test_runner_kills_reports_survivors_and_applies_runtime_mutants():
    harmless = Mutant(
        name="docstring-edit",
        target="shapes",
        description="a docstring changes, behaviour does not",
        source="a negative control of the runner",
        tests=("tests/test_shapes.py::test_output_size_counts_the_windows",),
        patches=(
            Patch("cnnref/shapes.py", '"""The one output-size', '"""The single output-size'),
        ),
    )
    mutants = [by_name("output-size-ceil"), by_name("float32-upcast-backward"), harmless]
    passed, output, outcomes = Runner(ROOT, jobs=2).run(mutants)
    assert passed, output
    status = {o.name: (o.status, o.killed_by) for o in outcomes}
    assert status == {
        "output-size-ceil": (KILLED, "tests/test_shapes.py::test_output_size_counts_the_windows"),
        "float32-upcast-backward": (
            KILLED,
            "tests/test_conv_fast.py::test_float32_follows_the_input_and_stays_close[kw0]",
        ),
        "docstring-edit": (SURVIVED, None),
    }


def test_results_document_is_sorted_and_has_no_timings(tmp_path):
    mutants = [by_name("output-size-ceil"), by_name("bias-gradient-mean")]
    outcomes = [
        Outcome("output-size-ceil", KILLED, "tests/test_shapes.py::t", "", 1.25),
        Outcome("bias-gradient-mean", SURVIVED, None, "", 7.5),
    ]
    slow = [Outcome(o.name, o.status, o.killed_by, o.detail, 99.0) for o in outcomes]
    path = tmp_path / "out" / "mutants.json"
    write_json_atomically(path, results_document(mutants, outcomes))
    first = path.read_bytes()
    write_json_atomically(path, results_document(mutants[::-1], slow))
    assert path.read_bytes() == first
    document = json.loads(first)
    assert [r["name"] for r in document["mutants"]] == ["bias-gradient-mean", "output-size-ceil"]
    assert document["summary"] == {"killed": 1, "survived": 1}
    assert "99" not in first.decode() and "7.5" not in first.decode()
    assert sorted(p.name for p in path.parent.iterdir()) == ["mutants.json"]


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file of the project (not of environments, caches or builds)."""
    digests = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in NOT_PROJECT and not d.endswith(".egg-info"))
        for name in sorted(files):
            path = Path(folder) / name
            if path.name == ".git":
                continue
            digests[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def git_status(root: Path) -> str | None:
    if shutil.which("git") is None:
        return None
    out = subprocess.run(
        ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=False
    )
    return out.stdout if out.returncode == 0 else None


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_an_interrupted_run_leaves_the_tree_as_it_was(tmp_path, how):
    before, status_before = snapshot(ROOT), git_status(ROOT)
    temp = tmp_path / "tmp"
    temp.mkdir()
    results = tmp_path / "mutants.json"
    name = "dx-kernel-not-rotated"
    cmd = [sys.executable, "-m", "tests.mutants", "--only", name, "--jobs", "2"]
    proc = subprocess.Popen(
        [*cmd, "--json", str(results)],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(temp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, so that SIGKILL reaches every child
    )
    # should the runner hang before it starts the mutant, end it (the test then fails)
    watchdog = threading.Timer(120, os.killpg, (proc.pid, signal.SIGKILL))
    watchdog.start()
    try:
        seen = []
        for line in proc.stdout:
            seen.append(line)
            if line.startswith(f"started {name}"):
                break
        assert seen and seen[-1].startswith("started"), "".join(seen)
        # the mutant is live in its copy while its tests run
        copies = list(temp.glob(f"cnnref-mutants-*/{name}-*/cnnref/_col2im.py"))
        assert copies and "w[..., ::-1, ::-1]" in copies[0].read_text()
        time.sleep(0.5)
        if how == "SIGTERM":
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 130
            assert list(temp.iterdir()) == [], "the temporary copies are removed"
            with pytest.raises(ProcessLookupError):
                os.killpg(proc.pid, 0)  # no test process outlives the runner
        else:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()
    assert snapshot(ROOT) == before
    assert git_status(ROOT) == status_before
    assert not results.exists()
