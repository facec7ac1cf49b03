"""The build's process runs only the threads it starts: numpy's OpenBLAS would start a worker thread per core
that spins beside the build, taking the core Node typesets on."""
from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT


def test_loading_the_evaluator_starts_no_blas_worker_threads():
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", "import deckbuild, latexeval, numpy, os; "
                          "print(len(os.listdir('/proc/self/task')))"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    assert int(out) == 1
