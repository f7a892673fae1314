"""The batch split over the cores: parts, order, the BLAS's thread count restored."""

from __future__ import annotations

import threading

import pytest

from cnnref import _parallel as parallel


def _blas_threads_or_skip():
    """The BLAS's thread-count getter, or a skip where the batch is never split."""
    if parallel.blas_controls() is None:
        pytest.skip("the batch is never split here: a BLAS cnnref cannot set")
    return parallel.blas_controls()[1]


@pytest.mark.parametrize(("n", "count"), [(2, 2), (7, 2), (9, 3), (5, 5), (4, 1)])
def test_split_keeps_every_block_once_in_order_and_balanced(n, count):
    spans = [slice(i, i + 1) for i in range(n)]
    groups = parallel.split(spans, count)
    assert len(groups) == count
    assert [s for g in groups for s in g] == spans
    assert max(map(len, groups)) - min(map(len, groups)) <= 1


@pytest.mark.parametrize(("limit", "expected"), [("1", 1), ("", None), ("nonsense", None)])
def test_parts_follow_the_cores_and_the_limit(monkeypatch, limit, expected):
    monkeypatch.setenv("CNNREF_NUM_THREADS", limit)
    assert parallel.parts(1) == 1  # one block is never split
    cores = parallel.available_cores()
    assert parallel.parts(50) == (expected if expected is not None else cores)
    assert parallel.parts(2) == min(2, parallel.parts(50))


def test_parts_run_in_their_own_threads_with_a_one_thread_blas():
    getter = _blas_threads_or_skip()
    before = getter()
    seen = []

    def work(group):
        seen.append((threading.get_ident(), getter()))
        return [s.start for s in group]

    groups = parallel.split([slice(i, i + 1) for i in range(6)], 2)
    assert parallel.map_parts(work, groups) == [[0, 1, 2], [3, 4, 5]]
    assert len({ident for ident, _ in seen}) == 2
    assert [threads for _, threads in seen] == [1, 1]
    assert getter() == before


def test_the_blas_count_is_restored_when_a_part_raises():
    getter = _blas_threads_or_skip()
    before = getter()

    def work(group):
        if group[0].start:
            raise ValueError("a part failed")
        return 0

    with pytest.raises(ValueError, match="a part failed"):
        parallel.map_parts(work, [[slice(0, 1)], [slice(1, 2)]])
    assert getter() == before


def _split_in_child(queue):
    groups = parallel.split([slice(i, i + 1) for i in range(4)], 2)
    queue.put(parallel.map_parts(lambda group: len(group), groups))


def test_a_forked_child_splits_with_threads_of_its_own():
    """A process forked after a split (multiprocessing's default on Linux) makes new workers.

    The parent's worker threads are not copied into the child: an executor
    inherited as it is would wait for them for ever.
    """
    import multiprocessing

    _blas_threads_or_skip()
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this system")
    groups = parallel.split([slice(i, i + 1) for i in range(4)], 2)
    assert parallel.map_parts(lambda group: len(group), groups) == [2, 2]  # workers exist now
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_split_in_child, args=(queue,))
    child.start()
    child.join(timeout=5)
    if child.is_alive():
        child.kill()
        pytest.fail("the forked child's split never finished")
    assert child.exitcode == 0
    assert queue.get(timeout=5) == [2, 2]
