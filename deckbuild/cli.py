"""The command line: `python build.py [build|check|serve|pdf|import] …` over deckbuild.

`build` and `check` are the pipeline itself; the other commands live in their
own modules and get the rest of the command line.
"""
from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import os
import sys
from typing import NoReturn

from .diagnostics import BuildError, printed
from .options import Options, add_site_options


def _parser() -> argparse.ArgumentParser:
    more = "\n".join(f"  {name:7} {text}" for name, (_, text) in SUBCOMMANDS.items())
    p = argparse.ArgumentParser(prog="python build.py", description="Build the lecture decks into an offline Reveal.js site.",
                                epilog=f"more commands (each has --help):\n{more}",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", nargs="?", default="build", choices=["build", "check"],
                   help="build (default): write _site/; check: validate every formula and run every derivation check, write nothing")
    add_site_options(p)
    p.add_argument("--single-file", action="store_true",
                   help="also write <deck>/<deck>.html: one self-contained file that presents with the network off")
    p.add_argument("--mutants", action="store_true",
                   help="with check: generate wrong variants and rewrites of every checked relation and print per deck "
                        "how many the verifier catches and accepts")
    p.add_argument("--layout", action="store_true",
                   help="with check: lay every slide out in headless Chromium and report overflowing slides")
    return p


def _print_summary(result, command: str) -> None:
    for d in result.decks:
        st = d.steps
        steps = (f", steps: {st['linked']} linked, {st['verified']} verified, {st['stale']} stale, "
                 f"{st['failing']} failing" if st.get("linked") else "")
        draft = " (draft)" if d.draft else ""
        print(f"  {d.path}: {d.slides} slides, {d.formulas} formulas{steps}{draft}")
        if any(d.relations.values()):
            from .evaluate import STRENGTHS  # strongest first, however the summary was kept

            print("    relations: " + ", ".join(f"{d.relations.get(kind, 0)} {kind}" for kind in STRENGTHS))
        if d.mutants is not None:
            from .mutants import format_score

            print("\n".join(format_score(d.path, d.mutants)))
    verb = "checked" if command == "check" else ("built" if result.written else "not written")
    print(f"{verb} {len(result.decks)} deck(s) in {result.seconds:.2f} s")


# Commands with their own module and options: name -> (module, one-line help).
SUBCOMMANDS = {
    "serve": ("deckbuild.serve", "live preview: build, serve on 127.0.0.1, rebuild and reload on every change"),
    "pdf": ("deckbuild.pdf", "one PDF handout per deck, printed by headless Chromium"),
    "import": ("deckbuild.convert", "convert a deck from the old <section data-markdown> format"),
}


def _machine_fault(exc: OSError) -> int:
    """A disk or the system refused (full, read-only, permissions): one line, no traceback."""
    where = f": {exc.filename}" if exc.filename else ""
    print(f"error: {exc.strerror or exc}{where}\n"
          "    hint: check the disk's free space and the folder's permissions (--out, --cache)", file=sys.stderr)
    return 1


@contextlib.contextmanager
def _no_cycle_collection(restore: bool = True):
    """Python's cycle collector paused for one build: a build is short and makes a great many small
    objects that reference counting frees, and the collector's passes over them cost some 5% of its
    time (its worker processes inherit the pause). Not for `check`, which may evaluate thousands of
    generated formulas (--mutants), nor `serve`, which runs for hours. `restore=False` when the process
    ends with the build: turned back on, the collector would at once pass over every object the build
    still holds (some 15 ms)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled and restore:
            gc.enable()


def run() -> NoReturn:
    """`python build.py …`: main(), then the process ends at once.

    The build has written and closed every file and ended every process it started (Node, its workers)
    before main() returns. What Python would still do on its way out, tear every module down and free
    the build's objects one by one (some 30 ms of a 0.3 s build), the system does in one step."""
    code = main(process_ends=True)
    atexit._run_exitfuncs()  # what was registered to run at exit still runs (the KaTeX process's stop)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe (`… | head`): nothing more can be said
        code = code or 1
    os._exit(code)


def main(argv: list[str] | None = None, process_ends: bool = False) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SUBCOMMANDS:
        import importlib

        module = importlib.import_module(SUBCOMMANDS[argv[0]][0])
        try:
            return module.main(argv[1:])
        except BuildError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 1
        except OSError as exc:
            return _machine_fault(exc)
        except KeyboardInterrupt:
            return 130
    args = _parser().parse_args(argv)
    check = args.command == "check"
    if check and args.layout:
        from .layout import main as layout_main

        return layout_main(["--slides", str(args.slides), "--cache", str(args.cache)] + (["--drafts"] if args.drafts else [])
                           + (["--offline"] if args.offline else []))
    opts = Options(slides_dir=args.slides, out_dir=args.out, cache_dir=args.cache, strict=args.strict, drafts=args.drafts,
                   check_cache=not check, write=not check, quiet=args.quiet,
                   single_file=args.single_file, offline=args.offline, mutants=check and args.mutants)
    from .pipeline import build

    try:
        with _no_cycle_collection(restore=not process_ends) if not check else contextlib.nullcontext():
            result = build(opts)
    except BuildError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        return _machine_fault(exc)
    except KeyboardInterrupt:
        return 130
    for text in printed(result.report.sorted()):
        print(text, file=sys.stderr)
    errors = len(result.report.errors)
    failing = sum(d.relations.get("failing", 0) for d in result.decks)
    if not args.quiet or errors:
        _print_summary(result, args.command)
    if errors and result.written:
        print(f"{errors} error(s); the other decks were written, and these kept their last good pages: "
              + ", ".join(result.broken), file=sys.stderr)
        return 1
    if errors:
        print(f"{errors} error(s); the site was not written" + ("" if check else f" ({args.out} is unchanged)"),
              file=sys.stderr)
        return 1
    if check and failing:
        print(f"{failing} relation(s) do not hold", file=sys.stderr)
        return 1
    return 0
