"""What a build is asked to do, and the command-line options that say it, spelled once.

Every command that builds the site (`build`, `check`, `serve`, `pdf`,
`check --layout`) shares these; they live apart from the command line and the
pipeline so that neither has to import the other to know them.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Options:
    root: Path = ROOT
    slides_dir: Path = ROOT / "slides"
    out_dir: Path = ROOT / "_site"
    cache_dir: Path = ROOT / ".cache"
    strict: bool = False
    drafts: bool = False
    check_cache: bool = True  # False for `check`: trust no cached result, compute everything
    require_all_checks_used: bool | None = None  # default: only for the project's own slides/
    quiet: bool = False
    write: bool = True  # False for `check`: validate everything, write nothing
    single_file: bool = False  # also write <slug>/<slug>.html with everything inlined
    mutants: bool = False  # `check --mutants`: score the verifier on generated wrong variants and rewrites
    offline: bool = False  # never touch the network: remote images come from mapped folders or the cache only
    workers: int | None = None  # processes for rendering many decks (None: as many as cores, 1: none)


SITE_OPTIONS = {
    "--slides": dict(type=Path, default=ROOT / "slides", help="folder of deck .md files (default: slides/)"),
    "--out": dict(type=Path, default=ROOT / "_site", help="output folder (default: _site/)"),
    "--cache": dict(type=Path, default=ROOT / ".cache", help="cache folder (default: .cache/)"),
    "--strict": dict(action="store_true",
                     help="treat warnings (KaTeX strict mode, remote images, relations that cannot be checked) as errors"),
    "--drafts": dict(action="store_true", help="include decks marked 'draft: true'"),
    "--quiet": dict(action="store_true", help="print only problems"),
    "--offline": dict(action="store_true",
                      help="never touch the network: remote images come from mapped folders or the cache of an earlier build"),
}


def add_site_options(p: argparse.ArgumentParser, *names: str) -> None:
    """The options every command that builds the site shares, spelled the same everywhere."""
    for name in names or SITE_OPTIONS:
        p.add_argument(name, **SITE_OPTIONS[name])
