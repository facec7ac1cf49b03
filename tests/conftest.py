"""Shared fixtures: building decks into temporary sites, and the lecturer's corpus."""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deckbuild.pipeline import Options, build  # noqa: E402

SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "current"
OLD_CORPUS = SHARED / "corpus" / "old-format"
SEED = SHARED / "seed" / "DAR-5-5-vae.reveal.md"
ARTIFACTS = ROOT / "test-artifacts"


def need_shared(path: Path) -> Path:
    """The lecturer's material sits beside the project; CI always has it."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing on CI")
        pytest.skip(f"{path} is not present on this machine")
    return path


def build_into(tmp: Path, slides_dir: Path, **kw):
    """Build offline unless told otherwise: a test reaches no network but its own server on 127.0.0.1."""
    kw.setdefault("offline", True)
    opts = Options(slides_dir=slides_dir, out_dir=tmp / "_site", cache_dir=kw.pop("cache_dir", tmp / "cache"),
                   quiet=True, **kw)
    return build(opts)


def site_digest(site: Path) -> str:
    """One digest over every file of a built site, names and bytes: equal digests, byte-identical sites."""
    h = hashlib.sha256()
    for p in sorted(site.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(site).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def write_deck(folder: Path, name: str, body: str, front: str = 'title: "T"\ndate: "2025-01-01"') -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"---\n{front}\n---\n\n{body}", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def project_site(tmp_path_factory):
    """The project's own slides/, built once for the session into a cache of its own."""
    tmp = tmp_path_factory.mktemp("project")
    result = build_into(tmp, ROOT / "slides")
    assert not result.report.errors, "\n".join(d.format() for d in result.report.errors)
    return tmp / "_site", result


@pytest.fixture(scope="session")
def warm_cache(project_site) -> Path:
    """The cache the project's build filled: every derivation check run once (SymPy) and the figures drawn
    once (VAE training) per session. Read it through `cache_dir`, which gives each test its own copy."""
    return project_site[0].parent / "cache"


@pytest.fixture
def cache_dir(tmp_path, warm_cache) -> Path:
    """A cache folder of this test's own, starting from the session's warm cache."""
    copy = tmp_path / "warm-cache"
    shutil.copytree(warm_cache, copy)
    return copy


@pytest.fixture(scope="session")
def corpus_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("corpus")
    result = build_into(tmp, need_shared(CORPUS), drafts=True)
    assert not result.report.errors, "\n".join(d.format() for d in result.report.errors)
    return tmp / "_site", result


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright; required on CI, skipped elsewhere when absent.

    Module-scoped: Playwright's sync API allows one instance per thread at a time, and the
    PDF and layout code starts its own."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
        pytest.skip("Debian's chromium is not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()
