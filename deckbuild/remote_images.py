"""Remote images kept for offline use: each URL becomes a local file, fetched at most once.

The lecturer's decks point their pictures at an image host. A site that must
present with the network off cannot leave them there, so at build time every
remote image is resolved to a local file, in this order:

1. a local folder the deck or the project maps the URL's prefix to (the
   lecturer's checkout of their image repository): no network at all;
2. the content-addressed image store in the cache folder (an earlier build
   fetched it): no network either;
3. unless the build is offline, one download (through a mirror when the
   prefix maps to another URL), limited in time and size and accepted only
   when the server says it is an image.

What cannot be resolved is reported by the caller and shown as a placeholder.
The store is the build's cache (`deckbuild.cache`): one file per URL whose
bytes are checked against their digest when read, so a damaged cache is
re-fetched rather than shown.

The HTTP client and the thread pool are imported only when something is to be
downloaded: an offline build, or one whose images are all local, never needs them.
"""
from __future__ import annotations

import hashlib
import re
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from .cache import Cache, key as cache_key

TIMEOUT_S = 15.0  # per connection step, and again for the whole download
MAX_BYTES = 25 * 1024 * 1024
PARALLEL = 8
REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)

# What the server may call an image, and the file name the site gives it (browsers
# opening a page from disk go by the extension).
IMAGE_TYPES = {
    "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
    "image/svg+xml": ".svg", "image/avif": ".avif", "image/bmp": ".bmp", "image/x-icon": ".ico",
    "image/vnd.microsoft.icon": ".ico", "image/apng": ".png",
}
LOCAL_SUFFIXES = set(IMAGE_TYPES.values()) | {".jpeg"}


def is_remote(src: str) -> bool:
    return bool(REMOTE.match(src))


def absolute(url: str) -> str:
    """`//host/x.png` is fetched over https, as a browser on an https page would."""
    return "https:" + url if url.startswith("//") else url


@dataclass(frozen=True)
class Kept:
    """A remote image's local copy, or why there is none."""

    path: Path | None
    reason: str = ""  # why it could not be kept (path is None)


@dataclass(frozen=True)
class PrefixMap:
    """URL prefix -> a local folder or a mirror URL, longest prefix first.

    Declared under `images:` in a deck's front matter or in the project file
    `deckbuild.yaml` beside the decks; folders are relative to the file that
    names them."""

    folders: tuple[tuple[str, Path], ...] = ()
    mirrors: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def from_mapping(mapping: dict[str, str], base: Path) -> "PrefixMap":
        folders, mirrors = [], []
        for prefix, target in mapping.items():
            if is_remote(target):
                mirrors.append((prefix, absolute(target)))
            else:
                folders.append((prefix, (base / Path(target).expanduser()).resolve()))
        return PrefixMap(tuple(folders), tuple(mirrors))

    def over(self, other: "PrefixMap") -> "PrefixMap":
        """This map's prefixes win over `other`'s (a deck's over the project's)."""
        return PrefixMap(self.folders + other.folders, self.mirrors + other.mirrors)

    def local_file(self, url: str) -> Path | None:
        for prefix, folder in sorted(self.folders, key=lambda pair: -len(pair[0])):
            if url.startswith(prefix):
                rest = urllib.parse.unquote(urllib.parse.urlsplit(url[len(prefix):]).path).lstrip("/")
                candidate = (folder / rest).resolve()
                if candidate.is_relative_to(folder) and candidate.is_file():
                    return candidate
        return None

    def download_url(self, url: str) -> str:
        for prefix, mirror in sorted(self.mirrors, key=lambda pair: -len(pair[0])):
            if url.startswith(prefix):
                return mirror + url[len(prefix):]
        return absolute(url)


class ImageStore:
    """Copies of remote images in the build's cache, by URL."""

    def __init__(self, cache: Cache):
        self.cache = cache
        self.folder = cache.root

    def get(self, url: str) -> Path | None:
        return self.cache.blob("images", cache_key("image", url))

    def put(self, url: str, data: bytes, ext: str) -> Path:
        path = self.cache.put_blob("images", cache_key("image", url), data, ext)
        if path is None:
            raise OSError(self.cache.problems[-1] if self.cache.problems else "cannot write the cache")
        return path

    def save(self) -> None:
        """The cache is saved by the build, with everything else it keeps."""


class NotKept(Exception):
    pass


def download(url: str) -> tuple[bytes, str]:
    """The image at `url` and its extension; NotKept with a reason otherwise."""
    if not re.match(r"^https?://", url, re.IGNORECASE):
        raise NotKept(f"not an http(s) URL: {url}")
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "deckbuild (keeps lecture images for offline use)"})
    deadline = time.monotonic() + TIMEOUT_S
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            kind = (response.headers.get_content_type() or "").lower()
            if kind not in IMAGE_TYPES:
                raise NotKept(f"the server sent {kind or 'no content type'}, not an image")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > MAX_BYTES:
                raise NotKept(f"larger than {MAX_BYTES // (1024 * 1024)} MB")
            chunks, size = [], 0
            while chunk := response.read(64 * 1024):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise NotKept(f"larger than {MAX_BYTES // (1024 * 1024)} MB")
                if time.monotonic() > deadline:
                    raise NotKept(f"the download took longer than {TIMEOUT_S:.0f} s")
                chunks.append(chunk)
            return b"".join(chunks), IMAGE_TYPES[kind]
    except urllib.error.HTTPError as exc:
        raise NotKept(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise NotKept(f"no connection: {exc.reason}") from None
    except TimeoutError:
        raise NotKept(f"no answer within {TIMEOUT_S:.0f} s") from None
    except OSError as exc:
        raise NotKept(f"no connection: {exc}") from None


def keep(urls: dict[str, PrefixMap], store: ImageStore, offline: bool) -> dict[str, Kept]:
    """Resolve every URL (with the prefix map that applies to it) to a local file."""
    kept: dict[str, Kept] = {}
    to_fetch: list[str] = []
    for url, prefixes in sorted(urls.items()):
        local = prefixes.local_file(url) or store.get(url)
        if local:
            kept[url] = Kept(local)
        elif offline:
            kept[url] = Kept(None, "offline, and no earlier build kept a copy")
        else:
            to_fetch.append(url)

    def fetch(url: str) -> tuple[str, bytes, str] | tuple[str, None, str]:
        try:
            return (url, *download(urls[url].download_url(url)))
        except NotKept as exc:
            return url, None, str(exc)

    if to_fetch:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(PARALLEL, len(to_fetch))) as pool:
            for url, data, ext_or_reason in pool.map(fetch, to_fetch):
                kept[url] = _stored(store, url, data, ext_or_reason) if data is not None else Kept(None, ext_or_reason)
        try:
            store.save()
        except OSError:
            pass  # this build still has its copies; the next one fetches again
    return kept


def _stored(store: ImageStore, url: str, data: bytes, ext: str) -> Kept:
    try:
        return Kept(store.put(url, data, ext))
    except OSError as exc:
        return Kept(None, f"cannot write the image cache {store.folder}: {exc.strerror or exc}")


def site_name(path: Path) -> str:
    """The file name a kept image gets in the site: named by its content, so the same bytes share one file."""
    suffix = path.suffix.lower() if path.suffix.lower() in LOCAL_SUFFIXES else ".img"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] + suffix
