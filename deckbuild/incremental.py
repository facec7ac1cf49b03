"""Which decks must be rendered again: everything a deck's page is made from, as one key.

A deck's page depends on its own text, on the files it shows (images, inlined
SVGs, generated figures, kept copies of remote images), on the build's
options, and on code and data far from the deck: this project's modules,
templates and static files, the evaluator and its notations, the derivation
checks, the figure code, the front-end packages (package-lock.json) and the
installed Python libraries. `code_digest` covers the far part once per build;
`deck_key` adds the deck's text and the options. What a rendered deck produced
(its page, the files it uses and their digests, the characters it shows, its
diagnostics and summary) is kept in the cache under that key, and reused only
while every file it read still has the digest it had: output from reuse is
byte for byte the output of rendering again.
"""
from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .cache import Cache, Table, file_sha, installed_versions, key

# Folders of the project whose files shape every page (relative to the project root).
CODE_FOLDERS = ("deckbuild", "katexbridge", "templates", "latexeval", "derivations", "figures")
CODE_FILES = ("package.json", "package-lock.json")
_SKIP_DIRS = {"__pycache__", ".pytest_cache", "node_modules"}


def code_digest(root: Path) -> str:
    """Digest of every file of the project that can change a page, plus the library versions."""
    h = hashlib.sha256()
    for folder in CODE_FOLDERS:
        base = root / folder
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
            for name in sorted(filenames):
                if name.endswith((".pyc", ".tmp")) or name.startswith("."):
                    continue
                path = Path(dirpath) / name
                data = path.read_bytes()
                h.update(path.relative_to(root).as_posix().encode() + b"\0" + len(data).to_bytes(8, "big") + data)
    for name in CODE_FILES:
        path = root / name
        if path.is_file():
            h.update(name.encode() + b"\0" + path.read_bytes())
    versions = sorted(installed_versions().items())
    h.update(repr((sys.version, versions)).encode())
    return h.hexdigest()


@dataclass
class DeckResult:
    """What rendering one deck produced, in a form the cache keeps."""

    slug: str
    path: str
    summary: dict
    diagnostics: list[dict] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # derivation ids the deck links to
    page: bytes | Path | None = None  # None: a draft left out of the site
    media: dict[str, str] = field(default_factory=dict)  # site path (below the deck) -> source file
    inputs: dict[str, str | None] = field(default_factory=dict)  # every local file looked at -> sha256 (None: absent)
    chars: str = ""  # every character the deck's page and files show (for the font subsets)
    final: bool = True  # False: it lacked something that may appear (a remote image not kept), never reused
    mutants_key: str = ""  # where `check --mutants` keeps the score of the deck's formulas (mutants.py)


def _result_shape(value) -> bool:
    return (isinstance(value, dict) and isinstance(value["slug"], str) and isinstance(value["summary"], dict)
            and isinstance(value["diagnostics"], list) and isinstance(value["links"], list)
            and isinstance(value["media"], dict) and isinstance(value["inputs"], dict)
            and isinstance(value["chars"], str) and value["page"] in (None, "blob") and value["final"] is True
            and isinstance(value["mutants_key"], str))


class DeckResults:
    """Rendered decks in the cache: the JSON part in a table, each page as a file."""

    def __init__(self, cache: Cache):
        self.cache = cache
        self.table: Table = cache.table("decks", _result_shape)

    def get(self, deck_key: str) -> DeckResult | None:
        value = self.table.get(deck_key)
        if value is None:
            return None
        if any(file_sha(path) != sha for path, sha in value["inputs"].items()):
            return None  # an image or figure it shows changed on disk
        page = None
        if value["page"] == "blob":
            page = self.cache.blob("pages", deck_key)
            if page is None:
                return None
        return DeckResult(**{**value, "page": page})

    def put(self, deck_key: str, result: DeckResult) -> None:
        if not result.final:
            return
        value = asdict(result)
        value["page"] = None
        if isinstance(result.page, bytes):
            if self.cache.put_blob("pages", deck_key, result.page, ".html", group=f"page/{result.slug}") is None:
                return  # the cache cannot be written: render again next time
            value["page"] = "blob"
        self.table.put(deck_key, value)


def deck_key(code: str, options: dict, shown: str, slug: str, text: bytes) -> str:
    return key("deck", code, options, shown, slug, text)
