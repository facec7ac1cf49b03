"""Headless Chromium for the commands that need a real browser (PDF handouts, layout lint).

The build itself never needs a browser; only these optional commands do, so
Chromium is looked up when they run and its absence is a clear BuildError, not
an ImportError or a Playwright traceback. Pages are served over http from
127.0.0.1 rather than opened as file:// URLs, so fonts and scripts load exactly
as they do when the lecturer serves the site.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from .diagnostics import BuildError

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def find_chromium() -> str:
    """The Chromium to drive: $CHROMIUM if set, else the first of CANDIDATES found."""
    override = os.environ.get("CHROMIUM")
    if override:
        found = _executable(override)
        if not found:
            raise BuildError(f"CHROMIUM={override} is not an executable file")
        return found
    for name in CANDIDATES:
        found = _executable(name)
        if found:
            return found
    raise BuildError("Chromium was not found (looked for " + ", ".join(CANDIDATES) + "): "
                     "install it with 'apt-get install chromium', or point CHROMIUM at a Chromium or Chrome binary")


def _executable(name: str) -> str | None:
    if os.sep in name:
        return name if os.path.isfile(name) and os.access(name, os.X_OK) else None
    return shutil.which(name)


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """A launched Playwright Browser, closed on exit (Playwright is imported only here)."""
    executable = find_chromium()
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:
        raise BuildError("Playwright is not installed: run 'pip install -r requirements.txt'") from exc
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=executable, args=FLAGS)
        except Error as exc:
            raise BuildError(f"could not start {executable}: {exc.message.splitlines()[0]}") from exc
        try:
            yield browser
        finally:
            browser.close()


def launched(browser=None) -> contextlib.AbstractContextManager:
    """`browser` when the caller already has one running (a test run's, or a caller printing several sites), else
    a Chromium of our own, closed on exit: one launch costs more CPU than laying out or printing a short deck."""
    return contextlib.nullcontext(browser) if browser is not None else chromium()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # a request log would drown the command's own output
        pass


@contextlib.contextmanager
def serve(site_dir: Path) -> Iterator[str]:
    """Serve `site_dir` on a free loopback port; yields the origin, e.g. http://127.0.0.1:41234."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, name="deckbuild-serve", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
