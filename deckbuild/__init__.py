"""Build an offline Reveal.js site from Markdown lecture decks.

Data flows one way, one module per stage:

    source.py      read a deck file: front matter and slides, each with its line
    mathscan.py    find $…$ / $$…$$ exactly as written, before Markdown sees them
    elements.py    the lecturer's <slide-*> vocabulary, one declaration per element
    parse.py       sources -> parsed deck (slides, formulas, derivation links)
    rows.py        a derivation's display formula -> its rows, each with its relation
    remote_images.py  remote image URLs -> local copies (mapped folder, cache, one download)
    verify.py      derivation links -> checked status of every step
    katex.py       formulas -> HTML, by KaTeX in the run's one Node process (katexbridge/)
    markdown.py    Markdown (with math and elements held out) -> HTML; code.py highlights code
    render.py      parsed deck + rendered math + status -> slide HTML
    urls.py        deck file name -> its URL, as Hugo gives it
    site.py        templates, assets and the atomic write of _site/
"""
import os as _os

# Every array of the build is small (the evaluator's draws, the figures' training): OpenBLAS's worker
# threads, started when numpy loads, only spin beside it, taking the other core from Node (60 ms of a
# cold build). Set before anything imports numpy; a value the caller set stays.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
