"""Every chapter of every registered case: its steps hold, a planted wrong line is rejected,
its exercises' solutions are right, its page has no reST text block.

Cases come from :mod:`derivations.registry`; a new case is covered here
without touching this file.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from derivations import registry
from derivations.chain import Chain, check_chain
from derivations.cli import DEFAULT_OUT
from derivations.proof import exactly_equal

CHAPTERED = [case for case in registry.cases() if case.has_chapter]


@pytest.fixture(scope="module", params=CHAPTERED, ids=lambda case: case.name)
def chapter(request):
    return request.param, request.param.chapter()


def _wrong(value):
    """A plausible slip: the entries in reverse order (a rot180 on a matrix), or doubled;
    a line of a case's own engine plants its own slip (``value.planted()``)."""
    if hasattr(value, "planted"):
        return value.planted()
    arr = np.array(value, dtype=object)
    flipped = arr.reshape(-1)[::-1].reshape(arr.shape)
    if not exactly_equal(arr, flipped):
        return flipped
    return arr * 2


def _plantable(chain: Chain) -> int | None:
    """The number of an intermediate step checked by value (the middle one), if there is one."""
    candidates = [
        n
        for n, s in enumerate(chain.steps, 1)
        if s.value is not None
        and s.verdict is None
        and (s.check is None or hasattr(s.value, "planted"))
    ]
    return candidates[len(candidates) // 2] if candidates else None


def test_every_chapter_has_chains_results_and_exercises(chapter):
    case, ch = chapter
    assert ch.chains, case.name
    assert ch.forward, case.name
    assert 2 <= len(ch.exercises) <= 3, case.name
    assert ch.figure in case.module.FIGURES


def test_every_step_holds(chapter):
    _, ch = chapter
    for chain in ch.chains:
        record = check_chain(chain)
        assert [s.number for s in record.steps if not s.holds] == [], chain.key
        assert len(record.steps) >= 2, chain.key


def test_a_planted_wrong_line_is_rejected(chapter):
    case, ch = chapter
    own = case.module.planted() if case.has("planted") else []
    for chain, n in own:  # wrong chains the case builds for its own engine
        assert not check_chain(chain).steps[n - 1].holds, f"{chain.key}/{n} accepted"
    covered = {chain.key for chain, _ in own}
    for chain in ch.chains:
        n = _plantable(chain)
        if n is None:
            assert chain.key in covered, f"{chain.key}: no step to plant a wrong line in"
            continue
        planted = chain.planted(n, _wrong(chain.steps[n - 1].value))
        record = check_chain(planted)
        assert not record.steps[n - 1].holds, f"{chain.key}/{n} accepted a wrong line"
        assert not record.holds


def test_result_checks_hold(chapter):
    _, ch = chapter
    for result in ch.results:
        if result.check is not None:
            assert result.check(), result.title


def test_exercise_solutions_are_right(chapter):
    case, ch = chapter
    for n, exercise in enumerate(ch.exercises, start=1):
        assert exercise.check(), f"{case.name} exercise {n}"


@pytest.mark.parametrize("case", list(registry.cases()), ids=lambda case: case.name)
def test_pages_have_no_rest_text_block_and_collapse_the_certificates(case):
    page = (DEFAULT_OUT / f"{case.slug}.md").read_text(encoding="utf-8")
    assert "```text" not in page
    assert "``" not in page.replace("```", "")  # no reST literals
    assert '??? note "Certificate' in page
    if case.has_chapter:
        for heading in ("## The forward pass", "## The derivation", "## Exercises"):
            assert heading in page, (case.name, heading)
        assert '??? success "Solution"' in page


def test_every_case_page_is_in_the_site_navigation():
    """A page left out of the navigation still builds (mkdocs only notes it), but drops out
    of the menus and of the print page; each case's page must be listed in mkdocs.yml."""
    nav = (DEFAULT_OUT.parents[1] / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r":\s*derivations/([\w-]+)\.md\s*$", nav, re.M))
    assert {case.slug for case in registry.cases()} <= listed
