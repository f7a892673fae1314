"""The proofs: every statement holds, every negative control is rejected, outputs are current.

The full regeneration runs once for this module (a module-scoped fixture, two
worker processes) and every test below reads its records.
"""

from __future__ import annotations

import json
import shutil

import pytest

from derivations import cli, registry, writer
from derivations.d5_grid import Config, grid, prove_config


@pytest.fixture(scope="module")
def cases():
    cases, _ = cli.run_all(jobs=2)
    return cases


def _proofs(cases):
    return [p for _, proofs in cases for p in proofs]


def test_every_case_ran_with_statements_and_controls(cases):
    labels = [meta["case"] for meta, _ in cases]
    assert labels == [case.label for case in registry.cases()]
    assert {"D0", "D1", "D2", "D3", "D4", "D5"} <= set(labels)
    for meta, proofs in cases:
        c = writer.counts(proofs)
        assert c["statements"] > 0, meta["case"]
        assert c["controls"] > 0, meta["case"]


def test_every_statement_is_proven(cases):
    failed = [p.key for p in _proofs(cases) if not p.control and not p.holds]
    assert failed == []


def test_every_negative_control_is_rejected(cases):
    accepted = [p.key for p in _proofs(cases) if p.control and p.holds]
    assert accepted == []


def test_lemmas_hold_on_their_own():
    # D0 alone, outside the worker pool: the rotation lemma and the weight-sharing
    # identities that every later case builds on (a second of work).
    from derivations import d0_lemmas

    proofs = d0_lemmas.run()
    assert [p.key for p in proofs if not p.control and not p.holds] == []
    assert [p.key for p in proofs if p.control and p.holds] == []
    assert sum(not p.control for p in proofs) >= 4


def test_both_conventions_and_the_articles_activations_are_covered(cases):
    keys = {p.key for p in _proofs(cases)}
    for case in ("D1", "D2", "D3"):
        assert any(k.startswith(f"{case}.corr.") for k in keys)
        assert any(k.startswith(f"{case}.conv.") for k in keys)
    assert {"D1.corr.dK.tanh-logistic", "D2.corr.dK1.tanh-arctan-logistic"} <= keys
    assert "D1.conv.dK.control-not-rotated-back" in keys  # seed 000 before its correction
    assert "D4.logistic-slope" in keys


def test_d5_grid_is_large_and_varied(cases):
    configs = grid()
    assert len(configs) >= 1000
    assert {c.in_hw[0] for c in configs} == set(range(1, 7))
    assert {c.in_hw[1] for c in configs} == set(range(1, 7))
    assert any(c.in_hw[0] != c.in_hw[1] for c in configs)
    assert {c.kernel for c in configs} == {(h, w) for h in range(1, 4) for w in range(1, 4)}
    assert {c.stride[0] for c in configs} == {1, 2, 3}
    assert {c.padding[0] for c in configs} == {0, 1, 2}
    assert {c.dilation[0] for c in configs} == {1, 2}
    assert {c.groups for c in configs} == {1, 2}
    assert {n for c in configs for n in c.channels} == {1, 2, 3}
    assert sum(c.remainder != (0, 0) for c in configs) > 300
    records = {p.key: p for p in _proofs(cases) if p.case == "D5"}
    assert records["D5.corr.dx"].details["configurations"] == len(configs)
    assert records["D5.control.remainder-ignored"].details["configurations"] > 100


def test_committed_outputs_are_current(cases):
    files = writer.render(cases, cli.extra_files())
    assert cli.differences(cli.DEFAULT_OUT, files) == []


def test_check_names_the_command_on_a_difference(cases, tmp_path, monkeypatch, capsys):
    stale = tmp_path / "derivations"
    shutil.copytree(cli.DEFAULT_OUT, stale)
    page = stale / "d1-single-kernel.md"
    page.write_text(page.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")
    (stale / "records" / "extra.json").write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(cli, "run_all", lambda jobs: (cases, {"wall": 0.0, **_times()}))
    assert cli.check(stale, jobs=1) == 1
    out = capsys.readouterr().out
    assert "differs: d1-single-kernel.md" in out
    assert "not generated (stale): records/extra.json" in out
    assert "python -m derivations" in out


def _times():
    return {case.name: 0.0 for case in registry.cases()}


def test_records_have_no_timings_and_are_deterministic(cases):
    first = writer.render(cases, cli.extra_files())
    second = writer.render(cases, cli.extra_files())
    assert first == second
    record = json.loads(first["records/d1-single-kernel.json"])
    assert record["source_module"] == "derivations.d1_single_kernel"
    assert all("seconds" not in p for p in record["proofs"])
    assert all(p["entries"] for p in record["proofs"])  # both sides, entry by entry
    root = str(cli.DEFAULT_OUT.parents[1])  # the checkout: no machine paths in the outputs
    for text in first.values():
        assert root not in text and "seconds" not in text


def test_write_atomic_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "a" / "b.md"
    writer.write_atomic(target, "one\n")
    writer.write_atomic(target, "two\n")
    assert target.read_text() == "two\n"
    assert [p.name for p in target.parent.iterdir()] == ["b.md"]


# the prove command -------------------------------------------------------------

PROVE = ["prove", "--input", "5x7", "--kernel", "3x2", "--stride", "2", "--padding", "1"]


@pytest.mark.parametrize(
    "extra",
    [
        ["--dilation", "2", "--channels", "2:3", "--groups", "1"],
        ["--channels", "2:2", "--groups", "2", "--format", "markdown"],
        ["--stride", "3x2", "--padding", "0x2"],
    ],
)
def test_prove_command_proves_named_configurations(extra, capsys):
    assert cli.main(PROVE + extra) == 0
    out = capsys.readouterr().out
    assert "verdict: all proven" in out
    assert "NOT PROVEN" not in out and "ACCEPTED" not in out
    assert "dL/dx_" in out or "\\partial L/\\partial x_" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["prove", "--input", "5", "--kernel", "3x2"], "--input"),
        (["prove", "--input", "5x7", "--kernel", "0x2"], "--kernel"),
        (["prove", "--input", "2x2", "--kernel", "3x3"], "does not fit"),
        (
            ["prove", "--input", "5x7", "--kernel", "3x2", "--channels", "3:2", "--groups", "2"],
            "--groups",
        ),
        (["prove", "--input", "5x7", "--kernel", "3x2", "--channels", "two"], "--channels"),
        (["prove", "--input", "5x7", "--kernel", "3x2", "--stride", "-1"], "--stride"),
        (["prove", "--input", "5x7"], "--kernel"),
        (["--jobs", "0"], "--jobs"),
    ],
)
def test_bad_arguments_exit_2_and_write_nothing(argv, message, tmp_path, capsys, monkeypatch):
    def no_writes(*args, **kwargs):
        raise AssertionError("a bad command line must not write anything")

    monkeypatch.setattr(writer, "write_atomic", no_writes)
    out_dir = tmp_path / "out"
    code = None
    try:
        code = cli.main([*argv, "--out", str(out_dir)] if argv[0] != "prove" else argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert not out_dir.exists()


def test_prove_config_catches_a_wrong_closed_form(monkeypatch):
    """The grid's checker is not a rubber stamp: break the closed form and it fails."""
    from derivations import d5_grid

    cfg = Config((4, 5), (2, 3), (2, 2), (1, 1), (1, 1), (2, 2), 1)
    assert all(prove_config(cfg).statements.values())
    real = d5_grid.input_gradient

    def rotated(grad, w, cfg):
        return d5_grid.S.rot180(real(grad, w, cfg))

    monkeypatch.setattr(d5_grid, "input_gradient", rotated)
    assert not prove_config(cfg).statements["corr.dx"]


def test_regenerate_exits_non_zero_when_a_proof_fails_or_a_control_passes(
    cases, tmp_path, monkeypatch
):
    import copy

    for flip in ("statement", "control"):
        broken = copy.deepcopy(cases)
        proofs = broken[1][1]
        target = next(p for p in proofs if p.control == (flip == "control"))
        target.holds = not target.holds
        assert not target.ok
        monkeypatch.setattr(cli, "run_all", lambda jobs, b=broken: (b, {"wall": 0.0, **_times()}))
        assert cli.regenerate(tmp_path / flip, jobs=1) == 1
        assert (tmp_path / flip / "index.md").exists()
    monkeypatch.setattr(cli, "run_all", lambda jobs: (cases, {"wall": 0.0, **_times()}))
    assert cli.regenerate(tmp_path / "fine", jobs=1) == 0
