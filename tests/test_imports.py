"""Forgetting a package: the build does it in a thread while another thread imports (the derivation checks start
beside the figures), so reading the module table must not fail when an import adds to it meanwhile."""
from __future__ import annotations

import sys
import threading
import time
import types

from deckbuild.imports import ahead, forget_package


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


def test_an_entry_put_ahead_goes_on_a_new_list_and_leaves_the_walked_one_whole():
    before, finder = sys.meta_path, object()
    with ahead("meta_path", finder):
        assert sys.meta_path[0] is finder and sys.meta_path[1:] == before
        assert finder not in before, "the list another thread may be walking is not edited"
        during = sys.meta_path
    assert sys.meta_path == before and finder not in sys.meta_path
    assert during[0] is finder, "nor is the list of the block edited when it ends"


def test_the_entry_put_ahead_goes_not_an_equal_one_put_there_meanwhile():
    mine, saved = "/no/such/folder/for/figures", sys.path
    try:
        with ahead("path", mine):
            other = "".join(["/no/such/folder", "/for/figures"])  # equal to mine, another object
            sys.path = [other, *sys.path]  # put ahead by someone else while the block runs
        assert sys.path[0] is other and not any(entry is mine for entry in sys.path)
    finally:
        sys.path = saved
