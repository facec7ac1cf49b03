#!/usr/bin/env python3
"""Build the lecture site: `python build.py` (see README.md, or --help)."""
import sys
from pathlib import Path

OWN_PACKAGES = {"deckbuild", "latexeval", "katexbridge", "derivations", "figures"}


def _run() -> None:
    from deckbuild.cli import run  # imports what it needs lazily: a missing package may surface late

    run()


if __name__ == "__main__":
    try:
        _run()
    except ModuleNotFoundError as exc:  # a fresh machine: say what to run, not a traceback
        if (exc.name or "").split(".")[0] in OWN_PACKAGES:
            raise
        # The interpreter that ran this, by name: a `pip` on PATH may install for another Python.
        sys.exit(f"error: the Python package '{exc.name}' is missing for {sys.executable}\n"
                 f"    hint: install the pinned packages for it, then build again: "
                 f"'{Path(sys.executable).name} -m pip install -r requirements.txt && "
                 f"{Path(sys.executable).name} build.py' (README.md: two commands on a fresh machine)")
