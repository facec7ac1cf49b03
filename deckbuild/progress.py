"""What a long piece of work is doing and how far along it is, on stderr.

A first build installs the front-end packages, trains a network for the
figures and runs every derivation check; printing PDFs and mutation runs take
a while too. Silence for a minute looks like a hang, so each of those reports
through one `Task`: on a terminal a bar redrawn in place, elsewhere (CI, a
pipe, a log file) plain lines, never more than about ten per task. `--quiet`
turns every task into a no-op, so callers never test for it themselves.

    with progress.task("checking derivations", total=len(ids), quiet=opts.quiet) as t:
        for did in ids:
            ...
            t.advance(did)
"""
from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 24
PLAIN_LINES = 10  # a task of any length prints at most this many progress lines when not on a terminal


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
        self._open_line = False
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
        if self._open_line and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()
            self._open_line = False

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
        if self.tty:
            self.stream.write("\r\x1b[2K" + text + ("\n" if final else ""))
            self._open_line = not final
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def task(what: str, total: int | None = None, quiet: bool = False, stream: TextIO | None = None) -> Task:
    """Start reporting on a piece of work (see the module docstring)."""
    return Task(what, total, stream=stream, quiet=quiet)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
