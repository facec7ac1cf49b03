"""Reading built pages in tests: visible text, and every asset reference."""
from __future__ import annotations

from html.parser import HTMLParser

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
         "path", "rect", "circle", "line", "polyline", "polygon", "ellipse", "use", "stop"}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.classes: list[str] = []
        self._hidden = []  # stack of booleans: inside script/style/mathml

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name in ("src", "href"):
            if a.get(name) is not None:
                self.refs.append((tag, name, a[name]))
        self.classes.extend((a.get("class") or "").split())
        if tag in _VOID:
            return
        hidden = tag in ("script", "style", "annotation") or "katex-mathml" in (a.get("class") or "").split()
        self._hidden.append(hidden or (self._hidden[-1] if self._hidden else False))

    def handle_startendtag(self, tag, attrs):
        a = dict(attrs)
        for name in ("src", "href"):
            if a.get(name) is not None:
                self.refs.append((tag, name, a[name]))

    def handle_endtag(self, tag):
        if tag not in _VOID and self._hidden:
            self._hidden.pop()

    def handle_data(self, data):
        if not (self._hidden and self._hidden[-1]):
            self.text.append(data)


def read_page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page
