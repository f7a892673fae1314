"""A large batch split over the cores: worker threads, each with a one-thread BLAS.

numpy runs its copies (im2col, col2im, layout changes) on one core and only
its matrix products on several (the BLAS's own threads). A convolution over
a batch is independent per image, so :func:`map_parts` gives each core a
contiguous part of the batch instead: one Python thread per part (numpy
releases the interpreter lock while it copies and multiplies), with the BLAS
held at one thread meanwhile, so that the parts do not fight over the cores.
This is how PyTorch's CPU convolution uses its threads too.

It takes control of the BLAS's thread count, which numpy does not offer: it
works with the OpenBLAS that numpy's wheels ship (found beside numpy and
loaded again by ``ctypes``, which gives the library already in the process).
With any other BLAS, with one core, or when the BLAS is set to one thread
(``OPENBLAS_NUM_THREADS=1``), or with ``CNNREF_NUM_THREADS=1``, everything
runs in the calling thread as before. Each part's result is the same
whichever thread computes it, and parts are combined in batch order, so the
numbers do not depend on the timing of the threads.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from itertools import pairwise
from pathlib import Path

import numpy as np

# (setter, getter) symbol names of OpenBLAS builds: numpy's wheels, then plain ones.
_SYMBOLS = (
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
)


def _find_openblas():
    """``(set_threads, get_threads)`` of numpy's OpenBLAS, or ``None``."""
    here = Path(np.__file__).resolve().parent
    candidates = [
        *sorted((here.parent / "numpy.libs").glob("*openblas*")),
        *sorted((here / ".dylibs").glob("*openblas*")),
    ]
    for path in candidates:
        try:
            lib = ctypes.CDLL(str(path))
        except OSError:
            continue
        for set_name, get_name in _SYMBOLS:
            setter, getter = getattr(lib, set_name, None), getattr(lib, get_name, None)
            if setter is not None and getter is not None:
                setter.argtypes, setter.restype = [ctypes.c_int], None
                getter.argtypes, getter.restype = [], ctypes.c_int
                return setter, getter
    return None


class _Pool:
    """The worker threads and the BLAS control, made on first use."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.blas = None
        self.executor: ThreadPoolExecutor | None = None
        self.workers = 0
        self.ready = False

    def setup(self) -> None:
        self.blas = _find_openblas()
        self.ready = True

    def forget_threads(self) -> None:
        """In a forked child: the parent's worker threads do not exist here; make new ones."""
        self.lock = threading.Lock()
        self.executor = None
        self.workers = 0

    def cores(self) -> int:
        """Cores a batch may be split over: at most the BLAS's own thread count."""
        if not self.ready:
            with self.lock:
                if not self.ready:
                    self.setup()
        if self.blas is None:
            return 1
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            cores = os.cpu_count() or 1
        return max(1, min(cores, self.blas[1]()))


_POOL = _Pool()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_POOL.forget_threads)


def blas_controls():
    """``(set_threads, get_threads)`` of numpy's BLAS, or ``None`` when cnnref cannot set it."""
    _POOL.cores()
    return _POOL.blas


def available_cores() -> int:
    """How many cores a batch can be split over here (1: no split; see the module docstring)."""
    return _POOL.cores()


def parts(n_blocks: int) -> int:
    """Into how many parts to split a batch of ``n_blocks`` blocks (1: do not split).

    At most one per block and per available core, and at most ``CNNREF_NUM_THREADS``.
    """
    if n_blocks < 2:
        return 1
    count = min(n_blocks, _POOL.cores())
    limit = os.environ.get("CNNREF_NUM_THREADS", "").strip()
    if limit.isdigit():
        count = min(count, max(1, int(limit)))
    return count


def even_cuts(n: int, count: int) -> list[tuple[int, int]]:
    """``range(n)`` as ``count`` contiguous ``(start, stop)`` runs, lengths within one."""
    return list(pairwise(i * n // count for i in range(count + 1)))


def split(spans: Sequence[slice], count: int) -> list[list[slice]]:
    """``spans`` cut into ``count`` contiguous runs of nearly equal length."""
    return [list(spans[a:b]) for a, b in even_cuts(len(spans), count)]


def map_parts(fn: Callable[[list[slice]], object], groups: list[list[slice]]) -> list:
    """``[fn(group) for group in groups]``, the groups in parallel threads.

    The first group runs in the calling thread, the others in worker threads;
    the BLAS runs one thread per call meanwhile, and its count is restored
    after (also when ``fn`` raises). Results come back in the order of ``groups``.
    """
    if len(groups) == 1:
        return [fn(groups[0])]
    setter, getter = _POOL.blas
    with _POOL.lock:  # one split run at a time: the BLAS count is process-wide
        if _POOL.workers < len(groups) - 1:
            _POOL.executor = ThreadPoolExecutor(len(groups) - 1, thread_name_prefix="cnnref")
            _POOL.workers = len(groups) - 1
        before = getter()
        setter(1)
        futures = []
        try:
            futures = [_POOL.executor.submit(fn, group) for group in groups[1:]]
            first = fn(groups[0])
            return [first, *(f.result() for f in futures)]
        finally:
            wait(futures)  # no worker still running when the count is restored
            setter(before)
