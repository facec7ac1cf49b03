"""One long-lived Node process running KaTeX, for typesetting and for parse trees alike.

Starting Node costs more than the work asked of it, so one process serves every
request of a run: the build's renderer and the evaluator share it (`shared()`).
It is started on the first request (or earlier by `start()`, so that Node loads
KaTeX while the caller reads its sources), and restarted transparently if it
died in between (killed from outside).

A batch of formulas goes out as one stream of request lines while the answers
are read back, so a deck costs a few process switches rather than two per
formula. Each formula is one request line, timed on its own: a formula KaTeX takes longer
than `time_limit` seconds on (a `\\def` expansion that explodes) becomes an error
on that formula, the process is killed and restarted, and the other formulas go
on. A formula longer than `size_limit` characters is refused before it is sent;
KaTeX itself caps macro expansions, author sizes and the output (worker.cjs).
"""
from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

from .node import ROOT, BridgeError, ensure_node_modules, node_binary

WORKER = Path(__file__).with_name("worker.cjs")
TIME_LIMIT = 5.0  # seconds per formula: KaTeX takes milliseconds on any formula a slide holds
SIZE_LIMIT = 20_000  # characters per formula: the largest formula of the lecturer's decks is under 2 000
START_LIMIT = 30.0  # seconds for Node to load KaTeX
GIVE_WAY_EVERY = 2  # formulas a batch that gives way typesets before it lets a waiting request go first


class _Died(Exception):
    """The process ended (or answered garbage) while a formula was being worked on."""


class _Stopped(Exception):
    """A batch stopped at its request `at`: over the time limit, or the process died (`reason`)."""

    def __init__(self, at: int, timed_out: bool = False, reason: str = ""):
        super().__init__(reason)
        self.at, self.timed_out, self.reason = at, timed_out, reason


class Bridge:
    def __init__(self, katex_dir: Path | None = None, node: str | None = None, *,
                 time_limit: float | None = None, size_limit: int | None = None):
        self._katex_dir, self._node = katex_dir, node
        self._time_limit, self._size_limit = time_limit, size_limit
        self._proc: subprocess.Popen | None = None
        self._buffer = b""
        self._loading = False  # started, its "ready" line not read yet
        self._lock = threading.Lock()
        self._waiting = 0  # requests waiting for the process now: a batch that gives way lets them go first
        self._turns = threading.Condition()
        self._trees: dict[tuple[str, str], dict] = {}  # parse replies by (formula, macros): a tree never changes
        self.started = 0  # processes started so far (tests and benchmarks read it)
        self.version: str | None = None

    @property
    def time_limit(self) -> float:
        return TIME_LIMIT if self._time_limit is None else self._time_limit

    @property
    def size_limit(self) -> int:
        return SIZE_LIMIT if self._size_limit is None else self._size_limit

    @property
    def key(self) -> tuple[str, str]:
        return str(Path(self.node).resolve()), str(self.katex_dir.resolve())

    @property
    def node(self) -> str:
        if self._node is None:
            self._node = node_binary()
        return self._node

    @property
    def katex_dir(self) -> Path:
        if self._katex_dir is None:
            self._katex_dir = ensure_node_modules(ROOT, quiet=True) / "katex"
        return self._katex_dir

    # ------------------------------------------------------------------ requests

    def render(self, jobs: list[dict], give_way: bool = False) -> list[dict]:
        """Each job ({tex, display, macros, output, marks}) -> {html, warnings, rows} or {error, warnings}.
        give_way: typeset a few formulas at a time, and let any request that waits meanwhile go first (the
        build typesets a deck beside the evaluator, whose parse trees it waits for)."""
        requests = [({"op": "render", "job": job}, job["tex"], {"warnings": []}) for job in jobs]
        if not give_way:
            return self._batch(requests)
        results = []
        for start in range(0, len(requests), GIVE_WAY_EVERY):
            with self._turns:
                self._turns.wait_for(lambda: self._waiting == 0, timeout=self.time_limit)
            results += self._batch(requests[start:start + GIVE_WAY_EVERY])
        return results

    def parse(self, exprs: list[str], macros: dict[str, str] | None = None) -> list[dict]:
        """Each formula -> {tree} (KaTeX's parse tree, positions as "pos") or {error}; each asked of KaTeX once
        per process (a caller may ask ahead for the trees another will want)."""
        key = json.dumps(macros or {}, sort_keys=True)
        missing = sorted({e for e in exprs if (e, key) not in self._trees})
        fresh = dict(zip(missing, self._batch([({"op": "parse", "expr": e, "macros": macros or {}}, e, {})
                                               for e in missing]))) if missing else {}
        for expr, reply in fresh.items():
            if not reply.get("error", {}).get("limit"):  # a time limit may pass another time
                self._trees[(expr, key)] = reply
        return [fresh[e] if e in fresh else self._trees[(e, key)] for e in exprs]

    @contextlib.contextmanager
    def _turn(self):
        """The process, for one batch; while waiting for it, a batch that gives way waits for this one."""
        with self._turns:
            self._waiting += 1
        try:
            self._lock.acquire()
        finally:
            with self._turns:
                self._waiting -= 1
        try:
            yield
        finally:
            self._lock.release()
            with self._turns:
                self._turns.notify_all()

    def _batch(self, requests: list[tuple[dict, str, dict]]) -> list[dict]:
        """Every (request, formula, extra fields) answered, in order. The lines go out while the answers
        come back (one wake-up per pipe's worth, not two process switches per formula); a formula over the
        time limit, or one the process dies on twice, is an error on that formula, and the ones after it
        go to a new process."""
        results: list[dict | None] = [None] * len(requests)
        todo = []  # (index, line, extra) of the requests Node is to answer
        for i, (request, tex, extra) in enumerate(requests):
            if len(tex) > self.size_limit:
                results[i] = {"error": {"message": f"the formula is over the size limit ({len(tex)} characters, "
                                        f"at most {self.size_limit})", "pos": None, "limit": "size"}, **extra}
            else:
                todo.append((i, (json.dumps(request) + "\n").encode(), extra))
        deaths: dict[int, int] = {}
        with self._turn():
            while todo:
                try:
                    self._exchange(todo, results)
                    break
                except _Stopped as stop:
                    self.close()
                    i, _, extra = todo[stop.at]
                    if stop.timed_out:
                        results[i] = {"error": {"message": f"KaTeX took longer than {self.time_limit:g} s on this "
                                                "formula (stopped; a macro that expands without end?)", "pos": None,
                                                "limit": "time"}, **extra}
                    else:  # a process killed from outside is restarted once, transparently
                        deaths[i] = deaths.get(i, 0) + 1
                        if deaths[i] < 2:
                            todo = todo[stop.at:]
                            continue
                        results[i] = {"error": {"message": f"the KaTeX process stopped on this formula ({stop.reason})",
                                                "pos": None}, **extra}
                    todo = todo[stop.at + 1:]
        return results  # type: ignore[return-value]

    def _exchange(self, todo: list[tuple[int, bytes, dict]], results: list) -> None:
        """Send every line and read every answer into `results`; _Stopped at the first one not answered.
        Writing and reading interleave, so neither pipe fills while the other waits (a deadlock)."""
        proc = self._running()
        out_fd, in_fd = proc.stdout.fileno(), proc.stdin.fileno()
        os.set_blocking(in_fd, False)
        data, sent, answered = b"".join(line for _, line, _ in todo), 0, 0
        deadline = time.monotonic() + self.time_limit  # for the answer awaited: Node works in order
        while answered < len(todo):
            while answered < len(todo) and b"\n" in self._buffer:
                line, self._buffer = self._buffer.split(b"\n", 1)
                try:
                    reply = self._decode(line)
                except _Died as exc:
                    raise _Stopped(answered, reason=str(exc)) from None
                i, _, extra = todo[answered]
                results[i] = {**extra, **reply}
                answered += 1
                deadline = time.monotonic() + self.time_limit
            if answered == len(todo):
                break
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Stopped(answered, timed_out=True)
            readable, writable, _ = select.select([out_fd], [in_fd] if sent < len(data) else [], [], left)
            if writable:
                try:
                    sent += os.write(in_fd, data[sent:sent + (1 << 16)])
                except BlockingIOError:
                    pass
                except OSError as exc:
                    raise _Stopped(answered, reason=f"cannot write to it: {exc}") from None
            if readable:
                chunk = os.read(out_fd, 1 << 16)
                if not chunk:
                    raise _Stopped(answered, reason=f"exit code {proc.poll()}")
                self._buffer += chunk

    def _reply(self, deadline: float, on_timeout) -> dict:
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise on_timeout()
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise _Died(f"exit code {self._proc.poll()}")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return self._decode(line)

    @staticmethod
    def _decode(line: bytes) -> dict:
        try:
            return json.loads(line)
        except ValueError:
            raise _Died("it answered something that is not JSON") from None
        except RecursionError:  # a parse tree nested deeper than Python's decoder goes; the line is consumed
            return {"error": {"message": "the formula nests too deeply to be read (its braces or fractions go "
                              f"deeper than about {sys.getrecursionlimit()} levels)", "pos": None, "limit": "depth"}}

    # ------------------------------------------------------------------ the process

    def start(self) -> None:
        """Start the process now and return at once; the first request waits for it to be ready."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self.close()
                self._spawn()

    def _running(self) -> subprocess.Popen:
        if self._proc is not None and self._proc.poll() is None:
            if not self._loading:
                return self._proc
            try:  # started ahead by start()
                self._await_ready()
                return self._proc
            except _Died:
                pass  # killed while loading: start it again, as for any process that died
        self.close()
        self._spawn()
        try:
            self._await_ready()
        except _Died as exc:
            self.close()
            raise BridgeError(f"Node.js could not load KaTeX from {self.katex_dir} ({exc})") from None
        return self._proc

    def _spawn(self) -> None:
        try:
            self._proc = subprocess.Popen([self.node, str(WORKER), str(self.katex_dir)], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except OSError as exc:
            raise BridgeError(f"cannot start Node.js ({self.node}): {exc}") from None
        self.started += 1
        self._loading = True

    def _await_ready(self) -> None:
        ready = self._reply(time.monotonic() + START_LIMIT, lambda: _Died("KaTeX did not load in time"))
        self._loading = False
        self.version = ready.get("version")

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def close(self) -> None:
        """Stop the process (a later request starts a new one). It is killed outright, stuck or idle: an
        idle one holds nothing (every answer asked for was read), and waiting for it to exit on its own
        polls in sleeps of growing length, at the end of every build."""
        proc, self._proc, self._buffer, self._loading = self._proc, None, b"", False
        if proc is None:
            return
        with contextlib.suppress(OSError):
            proc.stdin.close()
        proc.kill()
        proc.wait()
        proc.stdout.close()


_SHARED: dict[tuple[str, str], Bridge] = {}
_SHARED_LOCK = threading.Lock()


def shared(katex_dir: Path | None = None, node: str | None = None) -> Bridge:
    """The one bridge of this run for a Node and a KaTeX (the project's own by default), stopped at exit."""
    bridge = Bridge(katex_dir, node)
    with _SHARED_LOCK:
        if bridge.key not in _SHARED:
            _SHARED[bridge.key] = bridge
            atexit.register(bridge.close)
        return _SHARED[bridge.key]
