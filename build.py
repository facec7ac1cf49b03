#!/usr/bin/env python3
"""Build the lecture site: `python build.py` (see README.md, or --help)."""
import sys

OWN_PACKAGES = {"deckbuild", "latexeval", "katexbridge", "derivations", "figures"}


def _run() -> int:
    from deckbuild.cli import main  # imports what it needs lazily: a missing package may surface late

    return main()


if __name__ == "__main__":
    try:
        sys.exit(_run())
    except ModuleNotFoundError as exc:  # a fresh machine: say what to run, not a traceback
        if (exc.name or "").split(".")[0] in OWN_PACKAGES:
            raise
        sys.exit(f"error: the Python package '{exc.name}' is missing: run 'pip install -r requirements.txt'")
