"""The lecture figures, drawn by code so that the site ships no remote images.

Each module here that defines ``OUTPUTS`` (file names) and ``render()``
(file name -> SVG bytes) is one figure source; every other module is a shared
helper. ``deckbuild.figure_cache`` finds the sources by that shape and
re-renders one only when its code, a helper's code, or the numeric libraries
change, so ``render()`` must be a pure function of those: same bytes on every
run, no clock, no unseeded randomness.
"""
