"""A mark's tooltip names the slide's letters as the slide shows them, not in LaTeX."""
from __future__ import annotations

from deckbuild.render import readable


def test_a_greek_letter_is_shown_as_itself():
    assert readable(r"<=> (lhs - rhs constant in \phi, \theta)") == "<=> (lhs - rhs constant in ϕ, θ)"


def test_a_hatted_letter_carries_its_hat():
    assert readable(r"at \hat{\theta} = 2") == "at θ\u0302 = 2"


def test_a_bold_letter_is_the_letter():
    assert readable(r"lhs = 1 at \bm{x} = 3") == "lhs = 1 at x = 3"


def test_a_command_that_only_begins_like_a_letter_is_left_alone():
    assert readable(r"\thetas") == r"\thetas"


def test_a_hat_over_several_letters_is_left_as_written():
    assert readable(r"\hat{ab}") == r"\hat{ab}"
