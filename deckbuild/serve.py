"""`python build.py serve`: live preview while a deck is written.

Why it is shaped this way:

- One process keeps one KatexRenderer, one open cache and the site before the
  current one (a spare to make the next out of) for its whole life, so a
  rebuild after a text edit starts no Node, reads no cache file, makes no
  folder, and saves the cache only after the pages have their reload.
- Builds run on the main thread inside the watch loop: Ctrl-C interrupts
  whatever runs (even a figure being trained) and cleanup happens in one place.
- The pipeline swaps _site/ in only after a clean build, so the server keeps
  serving the last good site; a failed build reaches open pages as an overlay
  through a Server-Sent Events stream instead.
- The reload script is added to HTML responses, never to _site/, so the site
  stays byte-identical to what `python build.py` writes.
"""
from __future__ import annotations

import argparse
import http.server
import json
import secrets
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote

import watchfiles

from .options import add_site_options
from . import assets, site
from .diagnostics import BuildError, Diagnostic, Report, printed
from .imports import forget_package
from .katex import KatexRenderer
from .options import Options
from .pipeline import BuildResult, build, keep, open_cache

EVENTS = "/__events"
SCRIPT = "/__livereload.js"
SCRIPT_FILE = Path(__file__).with_name("livereload.js")
WATCHED = ("slides", "derivations", "templates", "figures")
STEP_MS = 25  # quiet time that ends a burst of file events: an editor's save is several of them
KEEPALIVE_S = 15.0  # lets a stream notice a closed tab, and keeps proxies from timing it out
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
         ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
         ".woff2": "font/woff2", ".woff": "font/woff", ".json": "application/json", ".txt": "text/plain; charset=utf-8"}


# ------------------------------------------------------------------ what is served


class Refused(Exception):
    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


def resolve(root: Path, target: str) -> Path:
    """The real file or folder for a request path, or Refused(403/404).

    Decoding and symlinks are where a path escapes, so suspicious spellings are
    refused before decoding and the fully resolved path is checked after it.
    """
    lowered = target.lower()
    if not target.startswith("/") or "\\" in target or any(code in lowered for code in ("%2f", "%5c", "%00")):
        raise Refused(403)
    try:
        parts = unquote(target, errors="strict").split("/")
    except UnicodeDecodeError:
        raise Refused(403) from None
    if any(p in (".", "..") or "\x00" in p for p in parts):
        raise Refused(403)
    real_root = root.resolve()
    try:
        real = real_root.joinpath(*[p for p in parts if p]).resolve(strict=True)
    except OSError:  # missing, a file used as a folder, a symlink loop, a name too long
        raise Refused(404) from None
    if not real.is_relative_to(real_root):
        raise Refused(403)
    return real


def inject(html: bytes, build_id: str) -> bytes:
    """Add the reload script; the build id lets the page tell whether it is out of date."""
    tag = f'<script src="{SCRIPT}" data-build="{build_id}"></script>\n'.encode()
    end = html.lower().rfind(b"</body>")
    return html + tag if end < 0 else html[:end] + tag + html[end:]


def content_type(path: Path) -> str:
    return TYPES.get(path.suffix.lower(), "application/octet-stream")


# ------------------------------------------------------------------ build state -> open pages


class Hub:
    """The latest build state, handed to every event stream (one thread each)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._version = 0
        self._message = "{}"
        self._closed = False
        self.build_id = ""

    def publish(self, state: dict) -> None:
        with self._cond:
            self.build_id = state["build"]
            self._message = json.dumps(state, ensure_ascii=False)
            self._version += 1
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> tuple[int, str] | None:
        """The state newer than `seen` (or the same one after `timeout`); None once closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._version != seen, timeout)
            return None if self._closed else (self._version, self._message)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class DevServer(http.server.ThreadingHTTPServer):
    daemon_threads = True  # an open event stream must never hold up the exit

    def __init__(self, host: str, port: int, root: Path):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), Handler)
        self.root = root
        self.hub = Hub()
        self.script = SCRIPT_FILE.read_bytes()

    def handle_error(self, request, client_address) -> None:
        """A tab closed mid-response is routine, not a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Handler(http.server.BaseHTTPRequestHandler):
    server: DevServer
    server_version = "deckbuild-serve"

    def do_GET(self) -> None:
        self._respond(with_body=True)

    def do_HEAD(self) -> None:
        self._respond(with_body=False)

    def _not_allowed(self) -> None:
        self._send(405, "text/plain; charset=utf-8", b"only GET and HEAD\n", True, {"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _not_allowed

    def log_message(self, format, *args) -> None:
        """Requests are not news: the terminal is kept for build results."""

    def _respond(self, with_body: bool) -> None:
        target = self.path.split("?", 1)[0]
        if target == EVENTS:
            return self._events(with_body)
        if target == SCRIPT:
            return self._send(200, TYPES[".js"], self.server.script, with_body)
        try:
            path = resolve(self.server.root, target)
            if path.is_dir():
                if not target.endswith("/"):  # one leading slash: "//x/" would send the browser to host x
                    return self._send(301, TYPES[".txt"], b"", with_body, {"Location": "/" + target.lstrip("/") + "/"})
                path = resolve(self.server.root, target + "index.html")
            data = path.read_bytes()
        except Refused as refused:
            return self._refuse(refused.status, with_body)
        except OSError:
            return self._refuse(404, with_body)
        if path.suffix == ".html":
            data = inject(data, self.server.hub.build_id)
        self._send(200, content_type(path), data, with_body)

    def _refuse(self, status: int, with_body: bool) -> None:
        """A 404 page carries the reload script, so a page that a fixed build creates appears by itself."""
        if status == 404:
            page = inject(b"<!DOCTYPE html><title>404</title><p>404: not in the built site</p>", self.server.hub.build_id)
            return self._send(404, TYPES[".html"], page, with_body)
        self._send(status, TYPES[".txt"], b"refused: outside the built site\n", with_body)

    def _send(self, status: int, ctype: str, data: bytes, with_body: bool, extra: dict | None = None) -> None:
        self.send_response(status)
        headers = {"Content-Type": ctype, "Content-Length": str(len(data)), "Cache-Control": "no-store",
                   "X-Content-Type-Options": "nosniff", **(extra or {})}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if with_body:
            self.wfile.write(data)

    def _events(self, with_body: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not with_body:
            return
        self.wfile.write(b"retry: 500\n\n")  # reconnect fast after a restart of the server
        seen = 0
        try:
            while (item := self.server.hub.wait(seen, KEEPALIVE_S)) is not None:
                version, message = item
                self.wfile.write(b": keep-alive\n\n" if version == seen else f"data: {message}\n\n".encode())
                seen = version
        except ConnectionError:
            pass


# ------------------------------------------------------------------ builds


class Rebuilder:
    """Builds with one long-lived KaTeX renderer, cache and spare site, and numbers the builds that were written.

    The cache is saved by `keep_cache`, called once the build's state is published: a save's cost is
    not part of the time from the lecturer's save to the reload."""

    def __init__(self, opts: Options):
        self.opts = opts
        self.renderer: KatexRenderer | None = None
        self.cache = open_cache(opts)
        self.spare = site.Spare()
        self.token = secrets.token_hex(4)  # a restarted server must not reuse the ids of the last one
        self.written = 0
        self.told = False  # the first build's warnings are printed in full, later ones only for what changed

    def build(self, changed: Sequence[Path] = ()) -> dict:
        """The state to publish; never raises for a problem in the sources or in the builder."""
        if any(p.is_relative_to(self.opts.root / "derivations") for p in changed):
            forget_package("derivations")  # else this long-lived process would run the old checks under the new hash
        try:
            result = build(self.opts, self._katex(), self.cache, self.spare, keep_cache=False)
        except BuildError as exc:
            return self._failed(exc.message, changed)
        except Exception as exc:  # a bug in one stage must not end the preview of a lecture
            traceback.print_exc()
            return self._failed(f"internal error: {exc!r} (traceback in the terminal)", changed)
        self.written += result.written
        _print_result(result, everything=not self.told)
        self.told = True
        diagnostics = [d.to_dict() for d in result.report.sorted()]
        return self._state(result.written, diagnostics, result.seconds, changed)

    def keep_cache(self) -> None:
        """Save the cache; never raises (a cache that cannot be written costs speed, not the preview)."""
        report = Report()
        try:
            keep(self.cache, self.opts, report)
        except Exception:
            traceback.print_exc()
            print("error: internal error while saving the cache (traceback above); the preview goes on",
                  file=sys.stderr, flush=True)
        for d in report.sorted():
            print(d.format(), file=sys.stderr, flush=True)

    def close(self) -> None:
        self.keep_cache()
        self.spare.discard()
        if self.renderer is not None:
            self.renderer.close()

    def _katex(self) -> KatexRenderer:
        if self.renderer is None:
            modules = assets.ensure_node_modules(self.opts.root, quiet=self.opts.quiet)
            self.renderer = KatexRenderer(assets.node_binary(), modules / "katex")
        return self.renderer

    def _failed(self, message: str, changed: Sequence[Path]) -> dict:
        print(f"error: {message}", file=sys.stderr, flush=True)
        return self._state(False, [Diagnostic("", 0, 0, "error", message).to_dict()], 0.0, changed)

    def _state(self, ok: bool, diagnostics: list[dict], seconds: float, changed: Sequence[Path]) -> dict:
        """What a page needs to decide (reload, overlay) plus what shows in its console (why, how long)."""
        build_id = f"{self.token}-{self.written}" if self.written else ""
        return {"build": build_id, "ok": ok, "seconds": round(seconds, 3), "diagnostics": diagnostics,
                "changed": [_shown(p, self.opts.root) for p in changed]}


def _print_result(result: BuildResult, everything: bool = True) -> None:
    """The build's diagnostics; after the first build, a warning only for a deck rendered again (a catalogue's
    unchanged decks would repeat theirs at every save), and how many the others still have."""
    decks = {d.path for d in result.decks}
    again = [d for d in result.report.sorted()
             if everything or d.severity == "error" or d.path in result.rendered or d.path not in decks]
    for text in printed(again):
        print(text, file=sys.stderr)
    unchanged = len(result.report.items) - len(again)
    if unchanged:
        print(f"({unchanged} warning(s) of unchanged decks, printed when the server started)", file=sys.stderr)
    errors = len(result.report.errors)
    if result.written:
        print(f"{_now()} built {len(result.decks)} deck(s) in {result.seconds:.2f} s", flush=True)
    else:
        print(f"{_now()} {errors} error(s): still serving the last good build", file=sys.stderr, flush=True)


def _now() -> str:
    return time.strftime("%H:%M:%S")


# ------------------------------------------------------------------ watching


class SourceFilter(watchfiles.DefaultFilter):
    """Ignores the build's own output (if it lies inside a watched folder) so a build cannot trigger itself."""

    def __init__(self, opts: Options):
        super().__init__()
        self.out = opts.out_dir.resolve()
        self.cache = opts.cache_dir.resolve()

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        p = Path(path)
        if p.is_relative_to(self.cache) or p.is_relative_to(self.out):
            return False
        if p.parent == self.out.parent and p.name.startswith(f".{self.out.name}."):  # staging folders
            return False
        return super().__call__(change, path)


def watched_paths(opts: Options) -> list[Path]:
    folders = [opts.root / name for name in WATCHED] + [opts.slides_dir]
    unique = {p.resolve(): None for p in folders if p.is_dir()}
    return list(unique)


def _describe(changed: Sequence[Path], root: Path) -> str:
    names = [_shown(p, root) for p in changed]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _shown(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


# ------------------------------------------------------------------ command line


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python build.py serve",
                                description="Build, serve the site, rebuild on every save and reload open pages.")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    add_site_options(p, "--slides", "--out", "--cache", "--strict", "--drafts", "--offline")
    return p


def _port(text: str) -> int:
    """A TCP port, or argparse's one-line error (a port of 99999 would be an OverflowError)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port: use 1 to 65535 (or 0 for any free one)")
    return port


def _url(server: DevServer) -> str:
    host, port = server.server_address[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def _interrupt(signum, frame) -> None:
    """SIGTERM (a process manager, a test) ends the server the same clean way as Ctrl-C."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    opts = Options(slides_dir=args.slides, out_dir=args.out, cache_dir=args.cache, strict=args.strict,
                   drafts=args.drafts, offline=args.offline)
    try:
        server = DevServer(args.host, args.port, opts.out_dir)
    except (OSError, OverflowError, UnicodeError) as exc:  # port in use, no such address, a host name too long
        print(f"error: cannot listen on {args.host}:{args.port}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 1
    previous = _take_signals()
    rebuilder = Rebuilder(opts)
    serving = False
    try:
        server.hub.publish(rebuilder.build())
        rebuilder.keep_cache()
        threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
        serving = True
        _announce(server, opts, args.host)
        for changes in watchfiles.watch(*watched_paths(opts), watch_filter=SourceFilter(opts), step=STEP_MS):
            changed = sorted({Path(path) for _, path in changes})
            print(f"{_now()} changed: {_describe(changed, opts.root)}", flush=True)
            server.hub.publish(rebuilder.build(changed))
            rebuilder.keep_cache()
    except KeyboardInterrupt:
        pass
    finally:
        _stop(server, rebuilder, serving)
        _restore_signals(previous)
    return 0


def _announce(server: DevServer, opts: Options, host: str) -> None:
    print(f"serving {opts.out_dir} at {_url(server)}  (Ctrl-C to stop)", flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"note: --host {host} makes the preview reachable from other machines", flush=True)


def _take_signals() -> dict:
    """Ctrl-C and SIGTERM both end the watch loop as KeyboardInterrupt, even in a process
    started with SIGINT ignored (Python then leaves it ignored); the old handlers are kept to restore."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    return previous


def _restore_signals(previous: dict) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def _stop(server: DevServer, rebuilder: Rebuilder, serving: bool) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup short
    server.hub.close()
    if serving:
        server.shutdown()
    server.server_close()
    rebuilder.close()
    print("stopped", flush=True)
