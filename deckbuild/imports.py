"""Forgetting an imported package, so that its next import reads its files again.

The build imports code the lecturer edits (derivations/, figures/) and imports it afresh once it
changed: `serve` lives across edits. It does so in a thread while another thread imports (the
derivation checks start beside the figures): the module table is taken in one step, a list of its
names, and never iterated while another thread's import may add to it; and an entry put ahead on
sys.meta_path or sys.path for a while goes on a new list, as the old one may be under another
thread's walk (a list that shrinks under a walk skips an entry: the finder or folder it needed).
"""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator


def forget_package(package: str) -> None:
    """Drop `package` and its submodules from sys.modules."""
    for name in [n for n in list(sys.modules) if n == package or n.startswith(package + ".")]:
        sys.modules.pop(name, None)


@contextlib.contextmanager
def ahead(list_name: str, entry) -> Iterator[None]:
    """`entry` first on sys.<list_name> ("meta_path", "path") for the block; the lists are replaced, never edited."""
    setattr(sys, list_name, [entry, *getattr(sys, list_name)])
    try:
        yield
    finally:
        current = getattr(sys, list_name)
        at = next((i for i, e in enumerate(current) if e is entry), None)
        if at is not None:
            setattr(sys, list_name, current[:at] + current[at + 1:])
