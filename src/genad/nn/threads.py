"""Per-thread limits on torch's CPU thread pools.

``torch.set_num_threads`` also sets a process-wide default that every thread which starts
using torch afterwards inherits, so changing it around one call leaks into whatever other
threads do at the same time (a server scoring several models at once). The thread pools behind
torch's CPU kernels -- OpenMP (``at::parallel_for``, oneDNN) and MKL -- each keep a thread count
per calling thread as well: ``omp_set_num_threads`` sets the calling thread's OpenMP
``nthreads-var`` and ``mkl_set_num_threads_local`` MKL's thread-local count. :func:`limit_threads`
sets those two for the calling thread only and restores them afterwards, so a small network
runs on one thread without touching any other thread.

Where torch is built without OpenMP or without an exported MKL (other platforms), the parts
that cannot be limited are left alone: the block then runs with torch's usual threads (same
results, possibly slower on tiny networks). :func:`thread_limits_available` says which parts
apply.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import threading

import torch

__all__ = ["limit_threads", "thread_limits_available"]


@functools.lru_cache(maxsize=1)
def _libraries() -> tuple:
    """(omp_get_max_threads, omp_set_num_threads, mkl_set_num_threads_local) of the libraries
    torch itself is linked against; None where a part is not available."""
    omp_get = omp_set = mkl_local = None
    lib_dir = os.path.join(os.path.dirname(torch.__file__), "lib")
    if "OpenMP" in torch.__config__.parallel_info().split("ATen parallel backend:")[-1]:
        names = sorted(n for n in os.listdir(lib_dir) if n.startswith(("libgomp", "libiomp", "libomp")))
        # the copy torch loaded is already in the process: CDLL returns that same copy
        for path in [os.path.join(lib_dir, n) for n in names] + ["libgomp.so.1"]:
            try:
                lib = ctypes.CDLL(path)
                omp_get, omp_set = lib.omp_get_max_threads, lib.omp_set_num_threads
                break
            except (OSError, AttributeError):
                continue
    for name in ("libtorch_cpu.so", "libtorch_cpu.dylib"):
        try:
            # the exported name is MKL's Fortran interface (the count passed by reference)
            fortran = ctypes.CDLL(os.path.join(lib_dir, name)).mkl_set_num_threads_local_
            fortran.argtypes, fortran.restype = [ctypes.POINTER(ctypes.c_int)], ctypes.c_int

            def mkl_local(n: int, _f=fortran) -> int:
                return _f(ctypes.byref(ctypes.c_int(n)))

            break
        except (OSError, AttributeError):
            continue
    if omp_get is not None:
        omp_get.argtypes, omp_get.restype = [], ctypes.c_int
        omp_set.argtypes, omp_set.restype = [ctypes.c_int], None
    return omp_get, omp_set, mkl_local


def thread_limits_available() -> dict[str, bool]:
    """Which of torch's CPU thread pools :func:`limit_threads` can limit per thread."""
    omp_get, _, mkl_local = _libraries()
    return {"openmp": omp_get is not None, "mkl": mkl_local is not None}


_initialised = threading.local()


@contextlib.contextmanager
def limit_threads(n: int = 1):
    """Run the block with at most ``n`` CPU threads in the calling thread's torch kernels;
    other threads, and threads started meanwhile, keep their own settings."""
    omp_get, omp_set, mkl_local = _libraries()
    if not getattr(_initialised, "done", False):
        # torch sets a thread's OpenMP count on its first parallel call; let that happen now,
        # not inside the block (where it would undo the limit)
        torch.get_num_threads()
        _initialised.done = True
    omp_before = omp_get() if omp_get is not None else None
    # returns the calling thread's previous local count (0: none, MKL's global count applies)
    mkl_before = mkl_local(int(n)) if mkl_local is not None else None
    if omp_set is not None:
        omp_set(int(n))
    try:
        yield
    finally:
        if omp_set is not None:
            omp_set(int(omp_before))
        if mkl_local is not None:
            mkl_local(int(mkl_before))
