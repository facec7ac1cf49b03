"""`python build.py serve` as a lecturer uses it: a real server process, a real headless Chromium.

The server runs in a subprocess on a temporary deck, so each test sees what a
person sees: an edit reloads the page on the same slide and fragment, a broken
formula shows an overlay over the last good page, paths outside the site are
refused, and Ctrl-C ends the process cleanly.
"""
from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import ROOT, write_deck

SERVE = [sys.executable, "-c", "import sys; from deckbuild.serve import main; sys.exit(main(sys.argv[1:]))"]
FORMULA = r"$e^{i\pi} + 1 = 0$"
DECK = f"""<slide-section>
## First slide

Euler: {FORMULA}
</slide-section>

<slide-section>
## Second slide

- alpha {{+}}
- beta {{+}}
- gamma {{+}}
</slide-section>

<slide-section>
## Third slide
</slide-section>
"""


class Server:
    """One serve process on a free port; its output is read by threads so a full pipe never blocks it."""

    def __init__(self, slides: Path, out: Path, cache: Path):
        args = ["--port", "0", "--slides", str(slides), "--out", str(out), "--cache", str(cache)]
        self.out = out
        self.proc = subprocess.Popen(SERVE + args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, encoding="utf-8")
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        for stream, lines in ((self.proc.stdout, self.stdout), (self.proc.stderr, self.stderr)):
            threading.Thread(target=lambda s=stream, l=lines: l.extend(s), daemon=True).start()
        self.url = self._wait_for_url(timeout=120)

    def _wait_for_url(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"serving .* at (http://\S+)", "".join(self.stdout))
            if found:
                return found.group(1)
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.proc.kill()
        pytest.fail("the server did not start:\n" + "".join(self.stdout + self.stderr))

    def get(self, target: str, method: str = "GET") -> tuple[int, bytes, str]:
        """(status, body, Location) of a raw request: the target goes on the wire exactly as written."""
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            conn.request(method, target)
            response = conn.getresponse()
            return response.status, response.read(), response.getheader("Location", "")
        finally:
            conn.close()

    def stop(self, sig: int = signal.SIGINT, timeout: float = 10) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


class Events:
    """The server's event stream, read as a page's EventSource reads it."""

    def __init__(self, url: str, timeout: float = 30):
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        self.conn.request("GET", "/__events")
        self.response = self.conn.getresponse()

    def next(self) -> dict | None:
        """The next build state, or None when the server closed the stream."""
        for raw in self.response.fp:
            line = raw.decode("utf-8").rstrip("\n")
            if line.startswith("data: "):
                return json.loads(line[len("data: "):])
        return None

    def close(self) -> None:
        self.conn.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    server = Server(write_deck(tmp / "slides", "deck.md", DECK).parent, tmp / "out", tmp / "cache")
    server.deck = tmp / "slides" / "deck.md"
    server.original = server.deck.read_text(encoding="utf-8")
    yield server
    server.stop()


def edit(served: Server, body: str) -> None:
    write_deck(served.deck.parent, served.deck.name, body)


@pytest.fixture
def deck_page(browser, served):
    """A fresh page on the deck as first written (put back, and rebuilt, if a test before edited it)."""
    if served.deck.read_text(encoding="utf-8") != served.original:
        events = Events(served.url)
        events.next()  # the state on connect
        edit(served, DECK)
        assert events.next()["ok"]
        events.close()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(served.url + "deck/")
    page.wait_for_function("window.Reveal && Reveal.isReady()")
    yield page
    page.close()


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.slow
def test_an_edit_reloads_the_page_on_the_same_slide_and_fragment(deck_page, served):
    page = deck_page
    page.evaluate("Reveal.slide(1, 0, 1)")
    assert page.evaluate("Reveal.getIndices()") == {"h": 1, "v": 0, "f": 1}
    page.evaluate("window.beforeReload = true")
    edit(served, DECK.replace("beta", "beta, edited"))
    page.wait_for_function("!window.beforeReload && window.Reveal && Reveal.isReady()"
                           " && Reveal.getCurrentSlide().textContent.includes('beta, edited')", timeout=10_000)
    # how fast the reload comes is bench/bench_serve.py's figure, not a test's
    assert page.evaluate("Reveal.getIndices()") == {"h": 1, "v": 0, "f": 1}
    assert page.evaluate("[...Reveal.getCurrentSlide().querySelectorAll('.fragment.visible')].length") == 2


def test_a_broken_formula_shows_an_overlay_over_the_last_good_page_until_fixed(deck_page, served):
    page = deck_page
    edit(served, DECK.replace(FORMULA, r"$e^{i\pi} + \notacommand$"))
    line = _line_of(served.deck.read_text(encoding="utf-8"), r"\notacommand")
    overlay = page.locator("#deckbuild-overlay")
    overlay.wait_for(state="visible", timeout=10_000)
    assert re.search(rf"deck\.md:{line}:\d+: error: .*notacommand", overlay.inner_text())
    assert page.evaluate("Reveal.getTotalSlides()") == 3
    assert page.locator(".reveal .katex").count() == 1, "the last good page stays under the overlay"

    edit(served, DECK.replace("Euler", "Euler, fixed"))
    page.wait_for_function("window.Reveal && Reveal.isReady() && document.body.textContent.includes('Euler, fixed')",
                           timeout=10_000)
    assert page.locator("#deckbuild-overlay").count() == 0


def test_the_speaker_view_reloads_with_its_deck_and_both_stay_on_the_step(deck_page, served):
    page = deck_page
    with page.context.expect_page() as opened:
        page.keyboard.press("s")
    previews = _previews(opened.value)
    page.evaluate("Reveal.slide(1, 0, 1)")
    previews[0].wait_for_function("Reveal.getIndices().f === 1")
    edit(served, DECK.replace("gamma", "gamma, edited"))
    for preview in previews:
        preview.wait_for_function("window.Reveal && Reveal.isReady() && document.body.textContent.includes('gamma, edited')",
                                  timeout=10_000)
    page.wait_for_function("window.Reveal && Reveal.isReady() && document.body.textContent.includes('gamma, edited')")
    page.wait_for_timeout(1500)  # the speaker window reconnects to the reloaded deck within its 1 s heartbeat
    assert page.evaluate("Reveal.getIndices()") == previews[0].evaluate("Reveal.getIndices()") == {"h": 1, "v": 0, "f": 1}


def _previews(speaker) -> list:
    """The speaker view's current-slide and next-step frames, once both decks are ready."""
    deadline = time.monotonic() + 10
    while len(frames := [f for f in speaker.frames if "receiver" in f.url]) < 2 and time.monotonic() < deadline:
        speaker.wait_for_timeout(50)
    for frame in frames:
        frame.wait_for_function("window.Reveal && Reveal.isReady()")
    return sorted(frames, key=lambda f: "postMessageEvents" not in f.url)


OUTSIDE = ["/../README.md", "/%2e%2e/README.md", "/%2E%2E/README.md", "/assets/../../build.py",
           "/assets/%2e%2e/%2e%2e/build.py", "/..%2fbuild.py", "/%2e%2e%2fbuild.py", "/deck%2f..%2f..%2fbuild.py",
           "/..\\build.py", "/..%5cbuild.py", f"/{ROOT}/build.py", f"{ROOT}/build.py", "/etc/passwd",
           "http://127.0.0.1/../build.py", "/leak.md", "/up/build.py", "/up/README.md"]


def test_requests_outside_the_site_are_refused(served):
    (served.out / "leak.md").symlink_to(ROOT / "README.md")
    (served.out / "up").symlink_to(ROOT, target_is_directory=True)
    try:
        for target in OUTSIDE:
            status, body, _ = served.get(target)
            assert status in (403, 404), f"{target}: {status}"
            assert b"Lecture slides" not in body and b"deckbuild.cli" not in body, target
    finally:
        (served.out / "leak.md").unlink()
        (served.out / "up").unlink()


def test_only_get_and_head_and_the_script_is_added_only_to_responses(served):
    assert served.get("/deck/", "POST")[0] == 405
    assert served.get("/deck/", "PUT")[0] == 405
    assert served.get("/deck/", "HEAD") == (200, b"", "")
    assert served.get("/deck")[::2] == (301, "/deck/")
    assert served.get("//deck")[::2] == (301, "/deck/"), "never a redirect to another host"
    status, page, _ = served.get("/deck/index.html")
    assert status == 200 and b'<script src="/__livereload.js" data-build="' in page
    assert b"__livereload" not in (served.out / "deck" / "index.html").read_bytes()
    assert served.get("/__livereload.js")[0] == 200


def test_a_folder_named_like_a_deck_and_an_editor_lock_do_not_break_a_save(served):
    """Editors and file managers leave such names in slides/; every later save must still rebuild."""
    slides = served.deck.parent
    events = Events(served.url)
    events.next()  # the state on connect
    (slides / "x.md").mkdir()
    (slides / ".#deck.md").symlink_to("root@host.1234:1700000000")  # how Emacs marks a file being edited
    try:
        skipped = events.next()  # the build the new folder starts (the lock starts none), before the save:
        assert skipped["ok"], json.dumps(skipped, ensure_ascii=False)  # a save during it could be read half-written
        edit(served, DECK.replace("Euler:", "Euler, saved again:"))
        deadline = time.monotonic() + 60
        while True:
            state = events.next()
            assert state is not None and time.monotonic() < deadline, "the server stopped sending build states"
            assert state["ok"], json.dumps(state, ensure_ascii=False)
            status, page, _ = served.get("/deck/")
            if b"Euler, saved again:" in page:
                break
        assert status == 200
    finally:
        events.close()
        (slides / ".#deck.md").unlink()
        (slides / "x.md").rmdir()
    assert "Traceback" not in "".join(served.stderr)


@pytest.mark.slow
def test_a_server_started_on_a_failing_build_recovers_and_ctrl_c_stops_it_cleanly(tmp_path, served):
    (tmp_path / "slides").mkdir()
    server = Server(tmp_path / "slides", tmp_path / "out", served.out.parent / "cache")
    status, page, _ = server.get("/")
    assert status == 404 and b"/__livereload.js" in page, "the 404 page reloads itself once a build succeeds"
    events = Events(server.url)
    first = events.next()
    assert not first["ok"] and "no decks found" in first["diagnostics"][0]["message"]
    deck = write_deck(tmp_path / "slides", "deck.md", DECK)
    fixed = events.next()
    assert fixed["ok"] is True and fixed["build"] and str(deck.resolve()) in fixed["changed"]
    started = time.monotonic()
    code = server.stop(signal.SIGINT)
    assert code == 0 and time.monotonic() - started < 30, "SIGINT stops the server, it does not hang"
    assert events.next() is None, "the open event stream is closed, not left hanging"
    time.sleep(0.1)  # the reader threads take the last lines
    assert "stopped" in "".join(server.stdout)
    assert "Traceback" not in "".join(server.stderr)
    assert not list(tmp_path.glob(".out.new-*")), "the spare site the server kept beside the output is gone"
