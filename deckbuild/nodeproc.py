"""A Node.js script that answers one JSON line with one JSON line, kept alive between requests.

Starting Node costs more than the work asked of it (typesetting a deck, parsing
its rows), so each caller keeps one process for as long as it lives and starts
it only when a request actually needs it.
"""
from __future__ import annotations

import json
import subprocess


class WorkerStopped(RuntimeError):
    """The process died or answered with something that is not JSON."""


class NodeWorker:
    def __init__(self, command: list[str]):
        self.command = command
        self._proc: subprocess.Popen | None = None
        self.started = 0  # how many processes were started (benchmarks and tests read it)

    def request(self, payload: dict) -> dict:
        proc = self._running()
        try:
            proc.stdin.write(json.dumps(payload) + "\n")
            proc.stdin.flush()
            return json.loads(proc.stdout.readline())
        except (OSError, ValueError) as exc:
            self.close()
            raise WorkerStopped(f"{exc or 'no answer'}") from None

    def _running(self) -> subprocess.Popen:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          text=True, encoding="utf-8")
            self.started += 1
        return self._proc

    def close(self) -> None:
        if self._proc is not None:
            try:
                self._proc.stdin.close()
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
            self._proc = None
