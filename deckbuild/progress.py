"""What a long piece of work is doing and how far along it is, on stderr.

A first build installs the front-end packages, trains a network for the
figures and runs every derivation check; printing PDFs and mutation runs take
a while too. Silence for a minute looks like a hang, so each of those reports
through one `Task`: on a terminal a bar redrawn in place, elsewhere (CI, a
pipe, a log file) plain lines, never more than about ten per task. `--quiet`
turns every task into a no-op, so callers never test for it themselves.
Tasks may run at once (the figures are drawn while the derivation checks run,
from another thread): on a terminal they share its last line, each task's
final line printed above it.

    with progress.task("checking derivations", total=len(ids), quiet=opts.quiet) as t:
        for did in ids:
            ...
            t.advance(did)
"""
from __future__ import annotations

import shutil
import sys
import threading
import time
from typing import TextIO

BAR_WIDTH = 24
PLAIN_LINES = 10  # a task of any length prints at most this many progress lines when not on a terminal
SHARED = " · "  # between the tasks that share the terminal's last line

_LOCK = threading.Lock()  # one writer at a time: tasks of two threads
_DRAWING: list["Task"] = []  # the tasks whose line is on a terminal now, in the order they started


class Task:
    """One piece of work: `advance()` after each item, `done()` (or the end of `with`) when finished."""

    def __init__(self, what: str, total: int | None = None, stream: TextIO | None = None, quiet: bool = False,
                 tty: bool | None = None):
        self.what = what
        self.total = total
        self.count = 0
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr
        self.tty = _isatty(self.stream) if tty is None else tty
        self.start = time.perf_counter()
        self._printed_step = 0
        self._shown = ""  # what the task's part of the terminal's last line says
        self._finished = False
        if not quiet:
            self._emit(f"{what} …", final=not self.tty)

    def advance(self, item: str = "", by: int = 1) -> None:
        """One more item done (`item` names it: a deck, a derivation, a figure)."""
        self.count += by
        if self.quiet:
            return
        if self.tty:
            self._emit(self._line(item), final=False)
        elif self._due():
            self._emit(self._line(item), final=True)

    def add_total(self, more: int) -> None:
        """More items than first known (work split over processes reports its share when it starts)."""
        self.total = (self.total or 0) + more

    def done(self, summary: str = "") -> None:
        if self._finished:
            return
        self._finished = True
        if self.quiet:
            return
        seconds = time.perf_counter() - self.start
        tail = f"done in {seconds:.1f} s" + (f": {summary}" if summary else "")
        self._emit(f"{self.what}: {self._counter()}{tail}", final=True)

    def fail(self) -> None:
        """Leave the terminal on a fresh line, so the error that follows is not glued to a bar."""
        self._finished = True
        if self.quiet or not self.tty:
            return
        with _LOCK:
            if self in _DRAWING:
                _DRAWING.remove(self)
                self.stream.write("\n")
                self.stream.flush()

    def __enter__(self) -> Task:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.done()
        else:
            self.fail()

    # ------------------------------------------------------------ drawing

    def _counter(self) -> str:
        if not self.total:
            return ""
        return f"{self.count}/{self.total} "

    def _line(self, item: str) -> str:
        if not self.total:
            return f"{self.what} {item}".rstrip()
        share = min(self.count / self.total, 1.0)
        named = f" {item}" if item else ""
        if self.tty:
            filled = round(share * BAR_WIDTH)
            bar = "█" * filled + "░" * (BAR_WIDTH - filled)
            return f"{self.what} {bar} {self.count}/{self.total}{named}"
        return f"{self.what}: {self.count}/{self.total} ({share:.0%}){named}"

    def _due(self) -> bool:
        """Plain output: a line at each tenth of the work, not one per item."""
        if not self.total:
            return True
        step = self.count * PLAIN_LINES // self.total
        if step > self._printed_step or self.count == self.total:
            self._printed_step = step
            return self.count != self.total  # the last item is reported by done()
        return False

    def _emit(self, text: str, final: bool) -> None:
        with _LOCK:
            if not self.tty:
                self.stream.write(text + "\n")
            elif final:  # its own line, above the line the tasks still running share
                if self in _DRAWING:
                    _DRAWING.remove(self)
                self.stream.write("\r\x1b[2K" + text + "\n" + self._last_line())
            else:
                if self not in _DRAWING:
                    _DRAWING.append(self)
                self._shown = text
                self.stream.write("\r\x1b[2K" + self._last_line())
            self.stream.flush()

    def _last_line(self) -> str:
        """The running tasks' line: one task's bar, or several tasks' counts, cut to the terminal's width (a
        wrapped line would not be redrawn in place)."""
        running = [t for t in _DRAWING if t.stream is self.stream]
        line = running[0]._shown if len(running) == 1 else SHARED.join(t._compact() for t in running)
        return line[:shutil.get_terminal_size().columns - 1]

    def _compact(self) -> str:
        return f"{self.what} {self.count}/{self.total}" if self.total else f"{self.what} …"


def task(what: str, total: int | None = None, quiet: bool = False, stream: TextIO | None = None) -> Task:
    """Start reporting on a piece of work (see the module docstring)."""
    return Task(what, total, stream=stream, quiet=quiet)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
