"""The proofs: every statement holds, every negative control is rejected, outputs are current.

The full regeneration runs once for this module (a module-scoped fixture, two
worker processes) and every test below reads its records.
"""

from __future__ import annotations

import json
import shutil

import pytest

from derivations import cli, registry, writer
from derivations.d5_grid import (
    FAMILIES,
    Config,
    base_grid,
    grid,
    pooling_grid,
    prove_config,
    prove_pooling,
    tie_pattern,
)
from derivations.transpose_adjoint import output_padding_grid, prove_adjoint


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
    # the single-kernel article's kernel gradient before its correction
    assert "D1.conv.dK.control-not-rotated-back" in keys
    assert "D4.logistic-slope" in keys


def test_d5_grid_is_large_and_varied(cases):
    configs = base_grid()
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
    assert records["D5.corr.dx"].details["configurations"] == len(grid())
    assert records["D5.control.remainder-ignored"].details["configurations"] > 100
    assert records["D5.adjoint"].details["configurations"] == len(output_padding_grid())


def test_d5_families_reach_what_the_base_grid_cannot():
    base, configs = base_grid(), grid()
    extra = configs[len(base) :]
    assert len(extra) == sum(len(rows) for rows in FAMILIES.values())
    # The base grid: square and symmetric hyper-parameters, every grouped layer depthwise.
    for c in base:
        assert c.stride[0] == c.stride[1] and c.dilation[0] == c.dilation[1]
        assert c.padding[0] == c.padding[1]
        assert c.groups == 1 or c.channels[0] == c.groups

    def per_group(c):
        return c.channels[0] // c.groups, c.channels[1] // c.groups

    assert sum(c.groups > 1 and min(per_group(c)) > 1 for c in extra) >= 5
    assert any(c.groups == 3 and min(per_group(c)) > 1 for c in extra)
    assert any(c.stride[0] != c.stride[1] for c in extra)
    assert any(c.dilation[0] != c.dilation[1] for c in extra)
    assert any(len(c.padding) == 2 and c.padding[0] != c.padding[1] for c in extra)
    same = [c for c in extra if c.padding == "same"]
    assert any(c.pads[0] != c.pads[1] and c.pads[2] != c.pads[3] for c in same)
    assert any(c.kernel[0] % 2 == 0 and c.pads[0] != c.pads[1] for c in same)
    explicit = [c for c in extra if c.padding != "same" and len(c.padding) == 4]
    assert any(c.stride != (1, 1) and c.pads[0] != c.pads[1] for c in explicit)
    assert all(c.valid() for c in extra)


def test_same_padding_is_pytorchs_rule():
    """d(k-1) zeros per axis, the odd one at the bottom/right (PyTorch's _conv_forward rule)."""
    from derivations.d5_grid import same_padding

    # (kernel, dilation) -> (top, bottom, left, right), worked out by hand
    table = {
        ((2, 2), (1, 1)): (0, 1, 0, 1),
        ((4, 2), (1, 1)): (1, 2, 0, 1),
        ((2, 2), (3, 1)): (1, 2, 0, 1),
        ((2, 4), (1, 3)): (0, 1, 4, 5),
        ((3, 3), (1, 2)): (1, 1, 2, 2),
        ((1, 1), (1, 1)): (0, 0, 0, 0),
    }
    for (kernel, dilation), pads in table.items():
        assert same_padding(kernel, dilation) == pads


@pytest.mark.parametrize("name", list(FAMILIES))
def test_d5_families_hold_on_their_own(name):
    # Each family outside the worker pool (a second or less): every statement proven, every
    # control that applies rejected.
    for row in FAMILIES[name]:
        outcome = prove_config(Config(*row))
        assert all(outcome.statements.values()), (Config(*row).label, outcome.statements)
        assert not any(outcome.controls.values()), (Config(*row).label, outcome.controls)


def test_d5_groups_control_applies_only_with_several_channels_per_group():
    applied = [row for rows in FAMILIES.values() for row in rows]
    seen = {
        Config(*row): "groups-interleaved" in prove_config(Config(*row)).controls
        for row in applied
    }
    assert any(seen.values())
    for cfg, has_control in seen.items():
        assert has_control == (cfg.groups > 1 and cfg.channels[0] // cfg.groups > 1)


def test_d5_adjoint_covers_every_output_padding():
    configs = output_padding_grid()
    geometries = {(c.stride, c.dilation) for c in configs}
    for stride, dilation in geometries:
        seen = {c.output_padding for c in configs if (c.stride, c.dilation) == (stride, dilation)}
        allowed = {
            (a, b)
            for a in range(max(stride[0], dilation[0]))
            for b in range(max(stride[1], dilation[1]))
        }
        assert seen == allowed
    # output_padding at or past the stride (allowed when the dilation is larger) is covered
    assert any(op >= s for c in configs for op, s in zip(c.output_padding, c.stride, strict=True))
    for c in configs:
        holds, control_accepted = prove_adjoint(c)
        assert holds, c.label
        assert control_accepted is not True, c.label


def test_d5_max_pooling_holds_on_its_own():
    # SymPy's Max against the argmax routing, outside the worker pool (a few seconds).
    configs = pooling_grid()
    for row in configs:
        statements, accepted = prove_pooling(*row)
        assert statements["max_pool2d"], row
        assert not accepted.get("max-to-first-entry", False), row
    # The numbers do have tied maxima where the first and the last differ.
    ties = 0
    for c, (h, w), (kh, kw), (sh, sw) in configs:
        v = tie_pattern(c, (h, w))
        for ch in range(c):
            for i in range(0, h - kh + 1, sh):
                for j in range(0, w - kw + 1, sw):
                    window = v[ch, i : i + kh, j : j + kw]
                    ties += int((window == window.max()).sum() > 1)
    assert ties > 100


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


# Values a careless parser lets through: digits int() refuses ('²') or reads (Arabic-Indic
# '٣', full-width '３'), signs, empty strings, letters, too many or too few parts.
BAD_NUMBERS = ["²", "٣", "３", "-1", "", "x", "3x", "1x2x3", "+2", "2.0", "2\t"]
BAD_PROVE = [
    *((flag, value) for flag in ("--stride", "--padding", "--dilation") for value in BAD_NUMBERS),
    *(("--input", v) for v in [*BAD_NUMBERS, "5", "5x0"]),
    *(("--kernel", v) for v in [*BAD_NUMBERS, "3", "0x2"]),
    *(("--channels", v) for v in ["²:1", "2:٣", "-1:2", "", "x", "3x", "1x2x3", "2:3:4", "2"]),
    *(("--groups", v) for v in ["²", "٣", "-1", "", "x", "3x", "1x2x3", "0", "9"]),
    ("--padding", "SAME"),
    ("--format", "html"),
]


@pytest.mark.parametrize("flag, value", BAD_PROVE, ids=repr)
def test_prove_rejects_each_bad_argument_in_one_line(flag, value, capsys):
    argv = ["prove", "--input", "5x7", "--kernel", "3x2", flag, value]
    try:
        code = cli.main(argv)
    except SystemExit as exit_:  # argparse's own errors (type checks, choices)
        code = exit_.code
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert flag in lines[0] and ("expected" in lines[0] or "choose from" in lines[0])
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("value", ["²", "٣", "３", "-1", "", "x", "3x", "1x2x3", "0", "100000"])
def test_jobs_rejects_each_bad_value_in_one_line(value, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--jobs", value, "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "--jobs" in lines[0] and "expected" in lines[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["", " ", "a-file"])
def test_out_must_name_a_folder(value, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("not a folder\n")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--out", value])
    assert exit_.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "--out" in lines[0] and "expected a folder" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_prove_reads_plain_digits_with_spaces_around(capsys):
    argv = ["prove", "--input", "5 x 7", "--kernel", "3x2", "--stride", " 2", "--groups", "1 "]
    assert cli.main(argv) == 0
    assert "input 5x7, kernel 3x2, stride 2" in capsys.readouterr().out


def test_prove_accepts_same_padding_and_refuses_it_with_a_stride(capsys):
    argv = ["prove", "--input", "4x5", "--kernel", "2x2", "--padding", "same"]
    assert cli.main([*argv, "--channels", "4:6", "--groups", "2"]) == 0
    out = capsys.readouterr().out
    assert "padding same (0,1,0,1)" in out and "verdict: all proven" in out
    assert cli.main([*argv, "--stride", "2"]) == 2
    assert "--padding: 'same' expected --stride 1, got '2'" in capsys.readouterr().err


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
