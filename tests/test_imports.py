"""Forgetting a package: the build does it in a thread while another thread imports (the derivation checks start
beside the figures), so reading the module table must not fail when an import adds to it meanwhile."""
from __future__ import annotations

import sys
import threading
import time
import types

from deckbuild.imports import forget_package


def test_forgetting_a_package_drops_it_and_its_submodules_only():
    names = ("pkg_x", "pkg_x.a", "pkg_x.a.b", "pkg_xy", "other.pkg_x")
    for name in names:
        sys.modules[name] = types.ModuleType(name)
    try:
        forget_package("pkg_x")
        assert [n for n in names if n in sys.modules] == ["pkg_xy", "other.pkg_x"]
    finally:
        for name in names:
            sys.modules.pop(name, None)


def test_a_package_is_forgotten_while_another_thread_imports():
    """Another thread adds and drops modules all the while (as imports do); half a second of forgetting must not
    meet 'dictionary changed size during iteration' (a comprehension over sys.modules itself meets it at once)."""
    stop, churned = threading.Event(), [f"_imported_meanwhile_{k}" for k in range(50)]

    def imports():
        k = 0
        while not stop.is_set():
            sys.modules[churned[k % 50]] = sys
            sys.modules.pop(churned[(k + 25) % 50], None)
            k += 1

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    other = threading.Thread(target=imports)
    other.start()
    try:
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            forget_package("no_such_package")
    finally:
        stop.set()
        other.join()
        sys.setswitchinterval(interval)
        for name in churned:
            sys.modules.pop(name, None)
