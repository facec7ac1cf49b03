"""One KaTeX process for typesetting and parse trees, with a time and a size limit per formula."""
from __future__ import annotations

import os
import signal

import pytest

import katexbridge
from conftest import build_into, write_deck
from deckbuild.diagnostics import BuildError
from deckbuild.katex import Job, KatexRenderer
from latexeval.katex import shared_parser

# 900 expansions of a macro of 400 fractions: legal TeX that KaTeX needs far more than the tests' 0.5 s limit for,
# even when only parsing on a fast, idle machine
EXPLODING = r"\def\a{" + r"\frac{x}{y}" * 400 + "}" + r"\a" * 900


def job(tex: str, display: bool = False) -> dict:
    return {"tex": tex, "display": display}


@pytest.fixture
def bridge():
    b = katexbridge.Bridge(time_limit=0.5)
    yield b
    b.close()


def test_a_formula_over_the_time_limit_is_an_error_on_that_formula(bridge):
    ok, slow, after = bridge.render([job("x^2"), job(EXPLODING, True), job("y_1")])
    assert slow["error"]["limit"] == "time" and "longer than 0.5 s" in slow["error"]["message"]
    assert "html" in ok and "html" in after


def test_the_process_is_restarted_after_a_formula_it_had_to_stop(bridge):
    bridge.render([job("x"), job(EXPLODING, True), job("y")])
    assert bridge.started == 2


def test_a_batch_larger_than_both_pipes_is_answered_in_order(bridge):
    # 600 requests of some 220 bytes and their answers of a few KB: more than a pipe holds either way
    replies = bridge.render([job(f"x_{{{i}}}" + " " * 200) for i in range(600)])
    assert all(f"<mn>{i}</mn>" in reply["html"] for i, reply in enumerate(replies)) and bridge.started == 1


def test_the_formulas_after_one_over_the_time_limit_are_answered_in_order(bridge):
    replies = bridge.render([job("a"), job(EXPLODING, True)] + [job(f"x_{{{i}}}") for i in range(20)])
    assert replies[1]["error"]["limit"] == "time"
    assert all(f"<mn>{i}</mn>" in reply["html"] for i, reply in enumerate(replies[2:]))


def test_a_formula_over_the_size_limit_is_refused_before_node_sees_it():
    b = katexbridge.Bridge(size_limit=50)
    (big,) = b.render([job("x+" * 40)])
    assert big["error"]["limit"] == "size" and b.started == 0


def test_a_parse_tree_request_has_the_same_limits(bridge):
    (tree, slow) = bridge.parse(["x", EXPLODING])
    assert "tree" in tree and slow["error"]["limit"] == "time"


def test_a_process_killed_from_outside_is_restarted_transparently(bridge):
    bridge.render([job("x")])
    os.kill(bridge.pid, signal.SIGKILL)
    (again,) = bridge.render([job("y")])
    assert "html" in again and bridge.started == 2


def test_a_node_that_cannot_start_is_a_one_line_error(tmp_path):
    b = katexbridge.Bridge(node=str(tmp_path / "no-node"))
    with pytest.raises(katexbridge.BridgeError, match="cannot start Node.js"):
        b.render([job("x")])


def test_the_renderer_reports_a_node_that_cannot_start_as_a_build_error(tmp_path):
    from conftest import ROOT

    renderer = KatexRenderer(str(tmp_path / "no-node"), ROOT / "node_modules" / "katex")
    with pytest.raises(BuildError, match="cannot start Node.js"):
        renderer.render([Job("x", False)])


def test_the_renderer_and_the_evaluator_share_one_process(tmp_path):
    from conftest import ROOT
    from deckbuild.assets import node_binary

    renderer = KatexRenderer(node_binary(), ROOT / "node_modules" / "katex")
    assert renderer.bridge is shared_parser().bridge


def test_a_build_that_evaluates_and_typesets_starts_node_once(tmp_path):
    write_deck(tmp_path / "slides", "d.md", "<slide-section>\n\n"
               "$$\\sum_{i=1}^N \\log p(\\bm{x}_i; \\theta) \\ge \\text{ELBO}$$\n\n</slide-section>\n",
               front='title: "T"\ndate: "2025-01-01"\nnotation: dar-5-5')
    bridge = shared_parser().bridge
    bridge.close()  # not running, as in a fresh run
    before = bridge.started
    result = build_into(tmp_path, tmp_path / "slides")
    assert not result.report.errors and result.katex_started == 1 and bridge.started - before == 1


def test_a_build_reports_a_formula_over_the_time_limit_at_its_place(tmp_path, monkeypatch):
    monkeypatch.setattr(katexbridge.bridge, "TIME_LIMIT", 0.5)
    deck = write_deck(tmp_path / "slides", "d.md", f"<slide-section>\n\nok $x$\n\n$${EXPLODING}$$\n\n</slide-section>\n")
    result = build_into(tmp_path, tmp_path / "slides")
    (err,) = result.report.errors
    assert (str(err.path), err.line) == (str(deck), 10) and "longer than 0.5 s" in err.format()


def test_a_process_started_ahead_serves_the_first_formula(bridge):
    bridge.start()
    (first,) = bridge.render([job("x")])
    assert "html" in first and bridge.started == 1


def test_starting_ahead_twice_starts_one_process(bridge):
    bridge.start()
    bridge.start()
    bridge.render([job("x")])
    assert bridge.started == 1


def test_a_process_started_ahead_and_killed_is_started_again(bridge):
    bridge.start()
    os.kill(bridge.pid, signal.SIGKILL)
    (first,) = bridge.render([job("x")])
    assert "html" in first


def test_an_unreadable_request_is_answered_as_an_error_and_the_worker_goes_on(bridge):
    import json
    import subprocess

    from katexbridge.bridge import WORKER

    requests = "not json\n" + json.dumps({"op": "parse", "expr": "x^2", "macros": {}}) + "\n"
    proc = subprocess.run([bridge.node, str(WORKER), str(bridge.katex_dir)], input=requests, capture_output=True,
                          text=True, timeout=60)
    ready, unreadable, parsed = [json.loads(line) for line in proc.stdout.splitlines()]
    assert ready["ready"] and "unreadable request" in unreadable["error"]["message"] and "tree" in parsed


def test_a_formula_is_parsed_once_per_process(bridge):
    (first,) = bridge.parse(["x^2"], {})
    bridge.close()  # a second request for the same tree must not need KaTeX again
    (again,) = bridge.parse(["x^2"], {})
    assert again == first and bridge.started == 1


def test_the_same_formula_under_other_macros_is_parsed_again(bridge):
    (plain,) = bridge.parse([r"\foo"], {})
    (defined,) = bridge.parse([r"\foo"], {r"\foo": r"\mathbb{R}"})
    assert "error" in plain and "tree" in defined and bridge.started == 1


def _typeset_beside(bridge, give_way: bool) -> tuple[bool, float]:
    """Typeset a long batch in a thread; once it is under way, ask for a tree. Was the tree answered while
    the batch was still typesetting, and how long did it take?"""
    import threading
    import time

    bridge.parse(["y"], {})  # Node loaded before the clock starts
    heavy = [job(r"\sum_{i=1}^{N}" + r"\frac{\alpha_{%d}}{\beta}" % i * 60, True) for i in range(120)]
    typesetting = threading.Thread(target=bridge.render, args=(heavy, give_way))
    typesetting.start()
    time.sleep(0.05)
    start = time.perf_counter()
    bridge.parse(["x"], {})
    took = time.perf_counter() - start
    during = typesetting.is_alive()
    typesetting.join()
    return during, took


def test_a_batch_that_gives_way_lets_a_parse_request_go_first():
    bridge = katexbridge.Bridge()
    try:
        answered_during, _ = _typeset_beside(bridge, give_way=True)
        assert answered_during, "the tree waited for the whole batch"
    finally:
        bridge.close()


def test_a_batch_that_does_not_give_way_keeps_the_process_to_its_end():
    bridge = katexbridge.Bridge()
    try:
        answered_during, _ = _typeset_beside(bridge, give_way=False)
        assert not answered_during
    finally:
        bridge.close()


def test_a_formula_nested_deeper_than_nodes_stack_is_over_the_depth_limit(bridge):
    """How deep Node recurses depends on what its JIT has compiled: the answer must not (the tree is not kept)."""
    deep = "a = " + "{" * 9000 + "b" + "}" * 9000
    (tree,) = bridge.parse([deep], {})
    (html,) = bridge.render([job(deep)])
    assert tree["error"]["limit"] == "depth" and html["error"]["limit"] == "depth"
