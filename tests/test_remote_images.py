"""Remote images are kept: fetched once from a server on 127.0.0.1, shown offline afterwards."""
from __future__ import annotations

import re

import pytest

from conftest import build_into, write_deck
from imageserver import ImageServer, png

from deckbuild import remote_images


@pytest.fixture
def host():
    with ImageServer() as server:
        yield server


def deck_with(tmp_path, body: str, front: str = 'title: "T"\ndate: "2025-01-01"'):
    slides = tmp_path / "slides"
    write_deck(slides, "deck.md", f"<slide-section>\n\n{body}\n\n</slide-section>\n", front)
    return slides


def page(tmp_path) -> str:
    return (tmp_path / "_site" / "deck" / "index.html").read_text(encoding="utf-8")


def local_images(tmp_path) -> list[str]:
    return re.findall(r'<img src="(media/[^"]+)"', page(tmp_path))


def warnings(result) -> list[str]:
    return [d.message for d in result.report.warnings]


def test_remote_image_is_copied_into_the_site(tmp_path, host):
    slides = deck_with(tmp_path, f'<slide-img src="{host.url}/pics/a.png"></slide-img>')
    result = build_into(tmp_path, slides, offline=False)
    assert result.written and not warnings(result)
    [src] = local_images(tmp_path)
    assert (tmp_path / "_site" / "deck" / src).read_bytes() == png("/pics/a.png")
    assert host.url not in page(tmp_path)


def test_a_kept_image_is_fetched_once(tmp_path, host):
    slides = deck_with(tmp_path, f'<slide-img src="{host.url}/a.png"></slide-img>\n\n![x]({host.url}/a.png)')
    build_into(tmp_path, slides, offline=False)
    build_into(tmp_path, slides, offline=False)
    assert host.requests == ["/a.png"]


def test_offline_with_a_kept_copy_is_silent(tmp_path, host):
    slides = deck_with(tmp_path, f'<slide-img src="{host.url}/a.png"></slide-img>')
    build_into(tmp_path, slides, offline=False)
    result = build_into(tmp_path, slides, offline=True)
    assert not warnings(result) and len(local_images(tmp_path)) == 1


def test_offline_never_touches_the_network(tmp_path, host):
    slides = deck_with(tmp_path, f'<slide-img src="{host.url}/a.png"></slide-img>')
    result = build_into(tmp_path, slides, offline=True)
    assert host.requests == []
    assert any("not kept for offline use" in w and "offline" in w for w in warnings(result))
    assert 'class="img-remote"' in page(tmp_path) and not local_images(tmp_path)


def test_unreachable_host_is_a_placeholder_and_a_warning(tmp_path, host):
    url = host.url
    host.__exit__()
    slides = deck_with(tmp_path, f'<slide-img src="{url}/a.png"></slide-img>')
    result = build_into(tmp_path, slides, offline=False)
    assert result.written and any("no connection" in w for w in warnings(result))
    assert 'class="img-remote"' in page(tmp_path)


def test_a_page_that_is_not_an_image_is_not_kept(tmp_path, host):
    host.special["/login.png"] = (200, "text/html", b"<html>sign in</html>", 0)
    slides = deck_with(tmp_path, f'<slide-img src="{host.url}/login.png"></slide-img>')
    result = build_into(tmp_path, slides, offline=False)
    assert any("text/html, not an image" in w for w in warnings(result))
    assert not local_images(tmp_path)


def test_http_error_is_not_kept(tmp_path, host):
    host.special["/gone.png"] = (404, "text/plain", b"no", 0)
    slides = deck_with(tmp_path, f'<slide-img src="{host.url}/gone.png"></slide-img>')
    result = build_into(tmp_path, slides, offline=False)
    assert any("HTTP 404" in w for w in warnings(result))


def test_an_image_over_the_size_limit_is_not_kept(tmp_path, host, monkeypatch):
    monkeypatch.setattr(remote_images, "MAX_BYTES", 100)
    slides = deck_with(tmp_path, f'<slide-img src="{host.url}/big.png"></slide-img>')
    result = build_into(tmp_path, slides, offline=False)
    assert any("larger than" in w for w in warnings(result)) and not local_images(tmp_path)


def test_a_server_that_does_not_answer_times_out(tmp_path, host, monkeypatch):
    monkeypatch.setattr(remote_images, "TIMEOUT_S", 0.3)
    host.special["/slow.png"] = (200, "image/png", png("slow"), 2.0)
    slides = deck_with(tmp_path, f'<slide-img src="{host.url}/slow.png"></slide-img>')
    result = build_into(tmp_path, slides, offline=False)
    assert any("within" in w or "longer than" in w for w in warnings(result))


def test_a_damaged_cached_copy_is_fetched_again(tmp_path, host):
    slides = deck_with(tmp_path, f'<slide-img src="{host.url}/a.png"></slide-img>')
    build_into(tmp_path, slides, offline=False)
    for blob in (tmp_path / "cache" / "images").glob("*.png"):
        blob.write_bytes(b"torn")
    build_into(tmp_path, slides, offline=False)
    assert host.requests == ["/a.png", "/a.png"]
    [src] = local_images(tmp_path)
    assert (tmp_path / "_site" / "deck" / src).read_bytes() == png("/a.png")


def test_markdown_and_raw_html_images_are_kept(tmp_path, host):
    slides = deck_with(tmp_path, f'![pic]({host.url}/md.png)\n\n<img src="{host.url}/raw.png" alt="r">')
    result = build_into(tmp_path, slides, offline=False)
    assert not warnings(result) and len(local_images(tmp_path)) == 2
    assert sorted(host.requests) == ["/md.png", "/raw.png"]


def test_raw_html_image_without_a_copy_is_never_fetched_by_the_browser(tmp_path, host):
    slides = deck_with(tmp_path, f'<img src="{host.url}/raw.png">')
    build_into(tmp_path, slides, offline=True)
    assert f'data-remote-src="{host.url}/raw.png"' in page(tmp_path) and f' src="{host.url}' not in page(tmp_path)


def test_a_mapped_folder_is_used_before_any_download(tmp_path, host):
    repo = tmp_path / "image-repo" / "images"
    repo.mkdir(parents=True)
    (repo / "a.png").write_bytes(png("local"))
    front = f'title: "T"\ndate: "2025-01-01"\nimages: {{"{host.url}/master/": "../image-repo/"}}'
    slides = deck_with(tmp_path, f'<slide-img src="{host.url}/master/images/a.png"></slide-img>', front)
    result = build_into(tmp_path, slides, offline=False)
    assert host.requests == [] and not warnings(result)
    [src] = local_images(tmp_path)
    assert (tmp_path / "_site" / "deck" / src).read_bytes() == png("local")


def test_the_project_file_maps_a_prefix_for_every_deck(tmp_path, host):
    repo = tmp_path / "image-repo"
    repo.mkdir()
    (repo / "a.png").write_bytes(png("local"))
    slides = deck_with(tmp_path, f'<slide-img src="{host.url}/x/a.png?raw=1"></slide-img>')
    (slides / "deckbuild.yaml").write_text(f'images:\n  "{host.url}/x/": ../image-repo\n', encoding="utf-8")
    result = build_into(tmp_path, slides, offline=True)
    assert not warnings(result) and len(local_images(tmp_path)) == 1


def test_a_mapped_folder_does_not_reach_outside_itself(tmp_path, host):
    (tmp_path / "secret.png").write_bytes(png("secret"))
    (tmp_path / "repo").mkdir()
    front = f'title: "T"\ndate: "2025-01-01"\nimages: {{"{host.url}/x/": "../repo"}}'
    slides = deck_with(tmp_path, f'<slide-img src="{host.url}/x/%2E%2E/secret.png"></slide-img>', front)
    result = build_into(tmp_path, slides, offline=True)
    assert any("not kept" in w for w in warnings(result)) and not local_images(tmp_path)


def test_a_mirror_prefix_downloads_from_the_mirror(tmp_path, host):
    front = f'title: "T"\ndate: "2025-01-01"\nimages: {{"https://images.example.org/": "{host.url}/mirror/"}}'
    slides = deck_with(tmp_path, '<slide-img src="https://images.example.org/a.png"></slide-img>', front)
    result = build_into(tmp_path, slides, offline=False)
    assert host.requests == ["/mirror/a.png"] and not warnings(result)


def test_an_image_map_that_is_not_a_url_prefix_is_an_error(tmp_path):
    front = 'title: "T"\ndate: "2025-01-01"\nimages: {"images/": "../repo"}'
    slides = deck_with(tmp_path, "text", front)
    result = build_into(tmp_path, slides)
    assert any("is not a URL prefix" in d.message and d.line == 4 for d in result.report.errors)


# --- the lecturer's corpus: every image shows with the network off after one online build -------------

def _corpus_with_local_host(tmp_path, host):
    """The corpus decks, unchanged, beside a project file that sends each image host to the test server."""
    from conftest import CORPUS, need_shared

    slides = tmp_path / "slides"
    slides.mkdir()
    hosts = set()
    for deck in sorted(need_shared(CORPUS).glob("*.md")):
        text = deck.read_text(encoding="utf-8")
        (slides / deck.name).write_text(text, encoding="utf-8")
        hosts |= set(re.findall(r"(https?://[^/\s\"')]+/)", text))
    lines = [f'  "{h}": "{host.url}/{h.split("//")[1]}"' for h in sorted(hosts)]
    (slides / "deckbuild.yaml").write_text("images:\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return slides


def _remote_images(slides) -> tuple[dict[str, int], set[str]]:
    from deckbuild.parse import parse_deck
    from deckbuild.diagnostics import Report
    from deckbuild.pipeline import slug_of
    from deckbuild.source import read_deck

    counts, urls = {}, set()
    for path in sorted(slides.glob("*.md")):
        report = Report()
        deck = parse_deck(read_deck(path.name, slug_of(path), path.read_text(encoding="utf-8"), report), report)
        counts[deck.slug] = len(deck.remote_images)
        urls |= {image.url for image in deck.remote_images}
    return counts, urls


@pytest.fixture(scope="module")
def offline_corpus(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("corpus-images")
    with ImageServer() as host:
        slides = _corpus_with_local_host(tmp, host)
        online = build_into(tmp / "online", slides, drafts=True, offline=False, cache_dir=tmp / "cache")
        assert online.written, "\n".join(d.format() for d in online.report.errors)
        fetched = len(host.requests)
    offline = build_into(tmp / "offline", slides, drafts=True, offline=True, cache_dir=tmp / "cache")
    counts, urls = _remote_images(slides)
    return tmp / "offline" / "_site", offline, counts, urls, fetched


@pytest.mark.slow
def test_every_corpus_image_is_kept_by_one_online_build(offline_corpus):
    site, result, counts, urls, fetched = offline_corpus
    assert not [w for w in warnings(result) if "remote image" in w]
    assert fetched == len(urls) > 50
    for slug, count in counts.items():
        html = (site / slug / "index.html").read_text(encoding="utf-8")
        assert "img-remote" not in html and "data-remote-src" not in html, slug
        shown = re.findall(r'<img src="(media/[^"]+)"', html)
        assert len(shown) == count, slug
        assert all((site / slug / src).is_file() for src in shown), slug


@pytest.mark.slow
def test_every_corpus_image_paints_in_chromium_with_the_network_off(offline_corpus, pages):
    from conftest import ARTIFACTS

    site, _, counts, _, _ = offline_corpus
    out = ARTIFACTS / "corpus-images"
    out.mkdir(parents=True, exist_ok=True)
    context = pages.new_context(viewport={"width": 1280, "height": 720}, offline=True)
    page = context.new_page()  # one page for every deck: a new page is a renderer process more
    leaving = []
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
               else (leaving.append(route.request.url), route.abort()))
    for slug, count in counts.items():
        if not count:
            continue
        page.goto((site / slug / "index.html").as_uri())
        page.wait_for_function("window.Reveal && Reveal.isReady()")
        broken = page.evaluate("""async () => {
            const imgs = [...document.querySelectorAll('.slides img')];
            await Promise.all(imgs.map(i => i.decode().catch(() => null)));
            return imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'));
        }""")
        assert broken == [] and leaving == [], slug
        first = page.evaluate("[...document.querySelectorAll('.slides > section')].findIndex(s => s.querySelector('img'))")
        page.evaluate(f"Reveal.slide({first})")
        page.wait_for_timeout(400)
        page.screenshot(path=str(out / f"{slug}.png"))
