"""Keep the generated lecture figures in the build's cache and redraw them only when their code changes.

Drawing the VAE figures means training a network for a few seconds; the build
and the live preview run far more often than the figure code changes, so each
figure's bytes are kept in the cache (`deckbuild.cache`, which checks every
file's digest when it is read) under a key over everything that can change
them: the module's source, the shared helper modules' sources, and the numpy
and scikit-learn versions (the numbers, and the digits data shipped inside
scikit-learn, come from them).

A figure source is a module of the top-level ``figures`` package that defines
``OUTPUTS`` and ``render()``; every other module there counts as a helper of
all of them. That over-approximates the dependencies (a change in the VAE
helper also redraws the EM loop), which costs milliseconds and can never serve
a stale figure. When nothing changed, the figures are found from one entry
keyed by all the package's sources, without importing the package (and so
without importing numpy).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

from . import progress
from .cache import Cache, key as cache_key, versions_of
from .imports import ahead, forget_package

PACKAGE = "figures"
# Bump to invalidate every cached figure when the stamp's meaning changes.
CACHE_FORMAT = "figure-cache/2"
VERSIONED_DISTRIBUTIONS = ("numpy", "scikit-learn")

# Digest of the package's sources at the moment this process imported it, so
# that a long-lived process (the live preview) re-imports edited code instead
# of rendering old code under a new stamp.
_imported_digest: dict[Path, str] = {}


def ensure_figures(root: Path, cache: Cache, quiet: bool = True) -> dict[str, Path]:
    """Make every figure output exist and be current in the cache; map file name -> path.

    Redrawing (training included) reports its progress unless `quiet`; a cache hit prints nothing.
    """
    package_dir = (Path(root) / PACKAGE).resolve()
    sources = _read_sources(package_dir)
    versions = _dependency_versions()
    manifest = cache.table("figures", _manifest_shape)
    whole = cache_key(CACHE_FORMAT, {name: hashlib.sha256(text).hexdigest() for name, text in sources.items()}, versions)
    known = manifest.get(whole)
    if known is not None:
        paths = {output: cache.blob("figures", k) for output, k in known.items()}
        if all(paths.values()):
            return paths  # type: ignore[return-value]

    modules = _import_figure_modules(Path(root), package_dir, sources)
    helpers = {name: text for name, text in sources.items() if name not in modules}
    result: dict[str, Path] = {}
    keys: dict[str, str] = {}
    stale = []
    for name, module in modules.items():
        outputs = tuple(module.OUTPUTS)
        clash = set(outputs) & set(keys)
        if clash:
            raise ValueError(f"{PACKAGE}.{name} writes {sorted(clash)}, which another figure module writes too")
        digest = source_hash(sources[name], helpers, versions)
        wanted = {output: cache_key("figure", digest, output) for output in outputs}
        found = {output: cache.blob("figures", k) for output, k in wanted.items()}
        if all(found.values()):
            result.update(found)
        else:
            stale.append((module, name, wanted))
        keys.update(wanted)
    if stale:
        with progress.task("drawing figures (training included)", total=len(stale), quiet=quiet) as job:
            for module, name, wanted in stale:
                result.update(_regenerate(module, name, wanted, cache))
                job.advance(name)
    manifest.put(whole, keys)
    return {output: result[output] for output in keys}  # in module order, however many were redrawn


def _manifest_shape(value) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


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
    # Installed distributions, not the imported modules: the warm path must not pay for importing numpy.
    return versions_of(VERSIONED_DISTRIBUTIONS)


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
            forget_package(PACKAGE)
            importlib.invalidate_caches()
    with ahead("meta_path", _FROM_SOURCE):
        if PACKAGE not in sys.modules:
            with ahead("path", str(root)):
                importlib.import_module(PACKAGE)
        _imported_digest[package_dir] = combined

        modules = {}
        for name in sources:
            if name == "__init__":
                continue
            module = importlib.import_module(f"{PACKAGE}.{name}")
            if hasattr(module, "OUTPUTS") and callable(getattr(module, "render", None)):
                modules[name] = module
    return modules


class _SourceLoader(importlib.machinery.SourceFileLoader):
    """Compiles a figure module from its source, never from a .pyc: Python trusts a .pyc whose source
    has the same size and the same mtime in whole seconds, so an edit saved within a second of the last
    import (a colour changed for one of the same length) would draw with the old code."""

    def get_code(self, fullname):
        return compile(self.get_data(self.path), self.path, "exec", dont_inherit=True)


class _FromSourceFinder(importlib.abc.MetaPathFinder):
    """Finds the figures package and its modules as the path finder does, loaded by _SourceLoader."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != PACKAGE and not fullname.startswith(PACKAGE + "."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return spec
        return importlib.util.spec_from_file_location(fullname, spec.origin,
                                                      loader=_SourceLoader(fullname, spec.origin),
                                                      submodule_search_locations=spec.submodule_search_locations)


_FROM_SOURCE = _FromSourceFinder()


def _regenerate(module: ModuleType, name: str, keys: Mapping[str, str], cache: Cache) -> dict[str, Path]:
    rendered = module.render()
    if set(rendered) != set(keys):
        raise ValueError(f"{PACKAGE}.{name}.render() returned {sorted(rendered)}, but OUTPUTS is {sorted(keys)}")
    return {output: cache.put_blob("figures", k, rendered[output], f"-{output}", group=output)
            or _unkept(output, rendered[output]) for output, k in keys.items()}


_scratch: list[tempfile.TemporaryDirectory] = []


def _unkept(output: str, data: bytes) -> Path:
    """A figure the cache could not keep (read-only or full disk) still reaches this build's site."""
    if not _scratch:
        _scratch.append(tempfile.TemporaryDirectory(prefix="deckbuild-figures-"))
    path = Path(_scratch[0].name) / output
    path.write_bytes(data)
    return path
