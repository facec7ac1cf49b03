"""Cache files written whole or not at all: a build stopped half-way never leaves a torn cache.

A cache only saves time, so a disk that refuses it (read-only, full) costs a
warning, never the build."""
from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path


def read_json(path: Path | None, default):
    if path is None or not path.exists():
        return default
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def write_json(path: Path, data) -> bool:
    """Replace `path` with `data` as JSON; False (and a warning) when the disk refuses."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, sort_keys=True)
        os.replace(tmp, path)
        return True
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        print(f"warning: cannot write the cache file {path}: {exc.strerror or exc}; the build goes on without it",
              file=sys.stderr)
        return False
