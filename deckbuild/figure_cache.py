"""Keep the generated lecture figures in a cache and rebuild them only when their code changes.

Drawing the VAE figures means training a network for a few seconds; the build
and the live preview run far more often than the figure code changes, so each
figure source's outputs are kept in ``cache_dir`` with a stamp file holding the
hash of everything that can change its bytes: the module's source, the shared
helper modules' sources, and the numpy and scikit-learn versions (the numbers,
and the digits data shipped inside scikit-learn, come from them).

A figure source is a module of the top-level ``figures`` package that defines
``OUTPUTS`` and ``render()``; every other module there counts as a helper of
all of them. That over-approximates the dependencies (a change in the VAE
helper also redraws the EM loop), which costs milliseconds and can never serve
a stale figure.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.metadata
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType

from . import progress

PACKAGE = "figures"
# Bump to invalidate every cached figure when the stamp's meaning changes.
CACHE_FORMAT = "figure-cache/1"
VERSIONED_DISTRIBUTIONS = ("numpy", "scikit-learn")

# Digest of the package's sources at the moment this process imported it, so
# that a long-lived process (the live preview) re-imports edited code instead
# of rendering old code under a new stamp.
_imported_digest: dict[Path, str] = {}


def ensure_figures(root: Path, cache_dir: Path, quiet: bool = True) -> dict[str, Path]:
    """Make every figure output exist and be current in ``cache_dir``; map file name -> path.

    Redrawing (training included) reports its progress unless `quiet`; a cache hit prints nothing.
    """
    package_dir = (Path(root) / PACKAGE).resolve()
    sources = _read_sources(package_dir)
    modules = _import_figure_modules(Path(root), package_dir, sources)
    helpers = {name: text for name, text in sources.items() if name not in modules}
    versions = _dependency_versions()

    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Path] = {}
    stale = []
    for name, module in modules.items():
        outputs = tuple(module.OUTPUTS)
        clash = set(outputs) & set(result)
        if clash:
            raise ValueError(f"{PACKAGE}.{name} writes {sorted(clash)}, which another figure module writes too")
        paths = {output: cache_dir / output for output in outputs}
        digest = source_hash(sources[name], helpers, versions)
        stamp = cache_dir / f"{name}.stamp"
        if not _is_current(stamp, digest, paths.values()):
            stale.append((module, name, paths, stamp, digest))
        result.update(paths)
    if stale:
        with progress.task("drawing figures (training included)", total=len(stale), quiet=quiet) as job:
            for module, name, paths, stamp, digest in stale:
                _regenerate(module, name, paths, stamp, digest)
                job.advance(name)
    return result


def source_hash(module_source: bytes, helper_sources: Mapping[str, bytes], versions: Mapping[str, str]) -> str:
    """Hex digest over a figure module, its helpers and the library versions.

    Every part is length-prefixed, so moving bytes from one part to the next
    cannot produce the same digest.
    """
    digest = hashlib.sha256()

    def part(tag: str, data: bytes) -> None:
        digest.update(tag.encode() + b"\0" + len(data).to_bytes(8, "big") + data)

    part("format", CACHE_FORMAT.encode())
    part("module", module_source)
    for name in sorted(helper_sources):
        part(f"helper:{name}", helper_sources[name])
    for name in sorted(versions):
        part(f"version:{name}", versions[name].encode())
    return digest.hexdigest()


def _dependency_versions() -> dict[str, str]:
    # Installed distribution metadata, not the imported module: the warm path
    # should not pay for importing numpy or scikit-learn.
    versions = {}
    for name in VERSIONED_DISTRIBUTIONS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _read_sources(package_dir: Path) -> dict[str, bytes]:
    if not (package_dir / "__init__.py").is_file():
        raise FileNotFoundError(f"no figure package at {package_dir}")
    return {path.stem: path.read_bytes() for path in sorted(package_dir.glob("*.py"))}


def _import_figure_modules(root: Path, package_dir: Path, sources: Mapping[str, bytes]) -> dict[str, ModuleType]:
    """Import the package from ``root`` and return its figure modules by name, in name order.

    A package imported before with different sources is dropped from
    ``sys.modules`` first, so edits take effect without restarting the process.
    """
    combined = hashlib.sha256(b"".join(hashlib.sha256(text).digest() for text in sources.values())).hexdigest()
    loaded = sys.modules.get(PACKAGE)
    if loaded is not None:
        loaded_dir = Path(loaded.__file__ or "").resolve().parent
        if loaded_dir != package_dir:
            raise RuntimeError(f"another {PACKAGE!r} package is already imported, from {loaded_dir}")
        # A package someone else imported is taken as matching the disk.
        if _imported_digest.get(package_dir, combined) != combined:
            for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
                del sys.modules[name]
            importlib.invalidate_caches()
    if PACKAGE not in sys.modules:
        sys.path.insert(0, str(root))
        try:
            importlib.import_module(PACKAGE)
        finally:
            sys.path.remove(str(root))
    _imported_digest[package_dir] = combined

    modules = {}
    for name in sources:
        if name == "__init__":
            continue
        module = importlib.import_module(f"{PACKAGE}.{name}")
        if hasattr(module, "OUTPUTS") and callable(getattr(module, "render", None)):
            modules[name] = module
    return modules


def _is_current(stamp: Path, digest: str, outputs: Iterable[Path]) -> bool:
    try:
        recorded = stamp.read_text(encoding="utf-8").split("\n", 1)[0]
    except FileNotFoundError:
        return False
    return recorded == digest and all(path.is_file() for path in outputs)


def _regenerate(module: ModuleType, name: str, paths: Mapping[str, Path], stamp: Path, digest: str) -> None:
    rendered = module.render()
    if set(rendered) != set(paths):
        raise ValueError(f"{PACKAGE}.{name}.render() returned {sorted(rendered)}, but OUTPUTS is {sorted(paths)}")
    for output, path in paths.items():
        _write_atomic(path, rendered[output])
    # The stamp goes last: if the process dies half-way, the old stamp no
    # longer matches and the next build redraws everything.
    _write_atomic(stamp, (digest + "\n" + "\n".join(paths) + "\n").encode("utf-8"))


def _write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target and rename over it, so a reader never sees a partial file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would keep the copied site from other readers
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
