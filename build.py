#!/usr/bin/env python3
"""Build the lecture site: `python build.py` (see README.md, or --help)."""
import sys

from deckbuild.cli import main

if __name__ == "__main__":
    sys.exit(main())
