#!/usr/bin/env python3
"""Build the lecture site: `python build.py` (see README.md, or --help)."""
import sys

try:
    from deckbuild.cli import main
except ModuleNotFoundError as exc:  # a fresh machine: say what to run, not a traceback
    sys.exit(f"error: the Python package '{exc.name}' is missing: run 'pip install -r requirements.txt'")

if __name__ == "__main__":
    sys.exit(main())
