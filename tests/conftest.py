"""Shared fixtures: building decks into temporary sites, and the lecturer's corpus."""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deckbuild.pipeline import Options, build  # noqa: E402

SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "current"
OLD_CORPUS = SHARED / "corpus" / "old-format"
SEED = SHARED / "seed" / "DAR-5-5-vae.reveal.md"
ARTIFACTS = ROOT / "test-artifacts"


WORKERS = 2  # the machine's two cores (README): the suite runs on both unless told otherwise


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    """`python -m pytest` runs on both cores through pytest-xdist: `-n N` chooses, `-n 0` or `-p no:xdist` runs in
    this one process. Tests sharing a module's page, server or build are sent to one worker (`--dist loadgroup`
    with the module's `xdist_group`); a run's expensive session folders are shared through `once_per_run`."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:  # a worker parses the command line, not the choice made here: it is told
        config.option.loadgroup = workerinput.get("loadgroup", config.option.loadgroup)
    elif getattr(config.option, "numprocesses", 0) is None:
        config.option.numprocesses = WORKERS if (os.cpu_count() or 1) >= WORKERS else 0
        if config.option.dist == "no":
            config.option.dist = "loadgroup"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    node.workerinput["loadgroup"] = node.config.option.dist == "loadgroup"


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the groups
def pytest_collection_modifyitems(config, items):
    """A test that uses a module-scoped fixture (a shared page, a server, a module's build or command) runs in the
    worker of its module's other such tests, so that the fixture is made once per run, not once per worker."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info and any(defs[-1].scope == "module" for defs in info.name2fixturedefs.values()):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


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


def once_per_run(tmp_path_factory, name: str, fill) -> Path:
    """A folder `fill(folder)` fills once per test run, shared by every worker process of the run.

    Under pytest-xdist each worker has a base folder of its own inside the run's: the first worker to take the
    lock fills the folder there, the others wait for it and read it (the pattern of xdist's documentation).
    Without workers the folder lives in the run's own base folder: never one of an earlier run."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder, done = base / name, base / f"{name}.done"
    with FileLock(str(base / f"{name}.lock")):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            fill(folder)
            done.touch()
    return folder


def _build_without_errors(tmp: Path, slides_dir: Path, **kw):
    result = build_into(tmp, slides_dir, **kw)
    assert not result.report.errors, "\n".join(d.format() for d in result.report.errors)
    return result


@pytest.fixture(scope="session")
def warm_cache(tmp_path_factory) -> Path:
    """The cache a cold build of the project's own slides/ filled: every derivation check run (SymPy) and the
    figures drawn (VAE training) once per test run, for every worker. Read it through `cache_dir`, which gives
    each test its own copy."""
    return once_per_run(tmp_path_factory, "project-cold-build", lambda tmp: _build_without_errors(tmp, ROOT / "slides")) / "cache"


def copy_of(cache: Path, into: Path) -> Path:
    shutil.copytree(cache, into)
    return into


@pytest.fixture(scope="session")
def project_site(tmp_path_factory, warm_cache):
    """The project's own slides/, built for this process from a copy of the warm cache (a build from the cache
    gives the cold build's site: tests/test_incremental.py)."""
    tmp = tmp_path_factory.mktemp("project")
    result = _build_without_errors(tmp, ROOT / "slides", cache_dir=copy_of(warm_cache, tmp / "cache"))
    return tmp / "_site", result


@pytest.fixture
def cache_dir(tmp_path, warm_cache) -> Path:
    """A cache folder of this test's own, starting from the session's warm cache."""
    return copy_of(warm_cache, tmp_path / "warm-cache")


@pytest.fixture(scope="session")
def corpus_site(tmp_path_factory, warm_cache):
    """The lecturer's corpus, drafts included, built with a copy of the warm cache: its derivation checks and
    figures are the project's, so they are not computed again."""
    tmp = tmp_path_factory.mktemp("corpus")
    result = _build_without_errors(tmp, need_shared(CORPUS), drafts=True, cache_dir=copy_of(warm_cache, tmp / "cache"))
    return tmp / "_site", result


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright, one per worker process for the whole run (a launch costs about two
    core-seconds); required on CI, skipped elsewhere when absent. Its pages are closed by the tests that open them
    (`pages`, `tab`). Playwright's sync API allows one instance per thread at a time: a test that lets the PDF or
    layout code start a Chromium of its own calls it through `in_thread`."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
        pytest.skip("Debian's chromium is not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


def in_thread(call, *args, **kwargs):
    """`call(*args, **kwargs)` in a thread of its own, where it may start Playwright beside this worker's browser;
    its result, or its exception raised here."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = call(*args, **kwargs)
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="own-playwright")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class Pages:
    """The pages and contexts one test opens in the run's browser, every one closed when the test ends. A deck
    left open goes on drawing (Reveal animates its controls, the deck lays itself out while idle): a module's
    pages left open would each take CPU from every later test."""

    def __init__(self, browser):
        self.browser, self._opened = browser, []

    def new_page(self, **kw):
        page = self.browser.new_page(**kw)
        self._opened.append(page.context)
        return page

    def new_context(self, **kw):
        context = self.browser.new_context(**kw)
        self._opened.append(context)
        return context

    def close(self) -> None:
        for context in self._opened:
            context.close()


@pytest.fixture
def pages(browser):
    opened = Pages(browser)
    yield opened
    opened.close()


class Tab:
    """The module's one page, lent to a test: `page`, and `on()` for the listeners the test adds to it.

    A new page starts a renderer process of its own, and that costs more than the deck: about 1.8 core-seconds
    to open the DAR deck in a new page against 0.5 in a page already open (by way of about:blank). The tests that look at what a deck
    does, not at its first load (tests/test_first_view.py opens fresh pages), share one. Each gets it blank: on
    about:blank (the last test's document is gone, and with it its scripts, styles and state), at the size it
    asks for, with the last test's listeners removed and the windows it opened (a speaker view) closed."""

    def __init__(self, page):
        self.page, self._listeners = page, []

    def on(self, event: str, handler) -> None:
        self.page.on(event, handler)
        self._listeners.append((event, handler))

    def release(self) -> None:
        for event, handler in self._listeners:
            self.page.remove_listener(event, handler)
        self._listeners.clear()
        for other in self.page.context.pages:
            if other != self.page:
                other.close()
        self.page.goto("about:blank")


@pytest.fixture(scope="module")
def _module_tab(browser):
    context = browser.new_context()
    yield Tab(context.new_page())
    context.close()


@pytest.fixture
def tab(_module_tab):
    """The module's page, blank, at 1280 x 800 (a test sets another size with `tab.page.set_viewport_size`)."""
    _module_tab.page.set_viewport_size({"width": 1280, "height": 800})
    yield _module_tab
    _module_tab.release()
