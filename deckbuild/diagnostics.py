"""Messages about the author's sources, always tied to a file, line and column.

A user's mistake must never surface as a Python traceback: every stage reports
into a `Report`, and the command line prints the collected list at the end so
that one build shows all problems, not only the first.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    col: int
    severity: str  # "error" or "warning"
    message: str
    hint: str = ""
    excerpt: str = ""

    def format(self) -> str:
        text = f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.message}"
        if self.excerpt:
            text += "\n    | " + "\n    | ".join(_clipped(line) for line in self.excerpt.splitlines()[:EXCERPT_LINES])
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def to_dict(self) -> dict:
        """Its fields by name: what `dataclasses.asdict` gives, without the deep copy that a serve
        rebuild of a 200-deck catalogue (thousands of warnings) would pay on every save."""
        return dict(vars(self))


@dataclass
class Report:
    """Collects diagnostics; `strict` turns every warning into an error."""

    strict: bool = False
    items: list[Diagnostic] = field(default_factory=list)

    def error(self, path: str, line: int, col: int, message: str, hint: str = "", excerpt: str = "") -> None:
        self.items.append(Diagnostic(path, line, col, "error", message, hint, excerpt))

    def warning(self, path: str, line: int, col: int, message: str, hint: str = "", excerpt: str = "") -> None:
        severity = "error" if self.strict else "warning"
        self.items.append(Diagnostic(path, line, col, severity, message, hint, excerpt))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def sorted(self) -> list[Diagnostic]:
        """Unique, in the dataclass's own order (its fields in turn), compared as tuples in C."""
        return sorted(set(self.items), key=_FIELD_ORDER)


_FIELD_ORDER = attrgetter(*(f.name for f in fields(Diagnostic)))
SHOWN_AGAIN = 12  # at most this many further lines are named after a warning said once for its file


def printed(diagnostics: list[Diagnostic]) -> list[str]:
    """The diagnostics as the terminal shows them: a warning that a file repeats word for word (a habit, such as
    $\\textcircled{1}$ in KaTeX's strict mode, at every use) is said once, at its first place, with the lines of
    the others; each error stays on its own."""
    first: dict[tuple, list[Diagnostic]] = {}
    for d in diagnostics:
        same = (d.path, d.message, d.hint) if d.severity == "warning" and not d.excerpt else d
        first.setdefault(same, []).append(d)
    out = []
    for group in first.values():
        text = group[0].format()
        if len(group) > 1:
            lines = list(dict.fromkeys(str(d.line) for d in group[1:]))
            named = ", ".join(lines[:SHOWN_AGAIN]) + (", …" if len(lines) > SHOWN_AGAIN else "")
            also = (f"also at line {named}" if len(group) == 2 else
                    f"also at {len(group) - 1} more places in this file, line{'s' if len(lines) > 1 else ''} {named}")
            head, _, rest = text.partition("\n")
            text = f"{head} ({also})" + ("\n" + rest if rest else "")
        out.append(text)
    return out


class BuildError(Exception):
    """A problem that stops the build before any output is written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def line_col(text: str, offset: int, first_line: int = 1) -> tuple[int, int]:
    """1-based line and column of `offset` in `text`, whose first line is `first_line`."""
    line = text.count("\n", 0, offset) + first_line
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


EXCERPT_LINES, EXCERPT_WIDTH = 12, 200  # a 3000-character formula must not bury the message under it


def _clipped(line: str) -> str:
    return line if len(line) <= EXCERPT_WIDTH else line[:EXCERPT_WIDTH - 1] + "…"
