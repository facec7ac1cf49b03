"""Forgetting an imported package, so that its next import reads its files again.

The build imports code the lecturer edits (derivations/, figures/) and imports it afresh once it
changed: `serve` lives across edits. It does so in a thread while another thread imports (the
derivation checks start beside the figures): the module table is taken in one step, a list of its
names, and never iterated while another thread's import may add to it.
"""
from __future__ import annotations

import sys


def forget_package(package: str) -> None:
    """Drop `package` and its submodules from sys.modules."""
    for name in [n for n in list(sys.modules) if n == package or n.startswith(package + ".")]:
        sys.modules.pop(name, None)
