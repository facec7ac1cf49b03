"""The generated lecture figures: safe to inline, reproducible, drawn from a VAE that learned, and cached."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from conftest import copy_of
from deckbuild import figure_cache
from deckbuild.cache import Cache
from deckbuild.figure_cache import ensure_figures
from figures import em_loop, vae, vae_digits
from figures.svg import DIGIT_COLOURS

ROOT = Path(__file__).resolve().parents[1]

SVG = "{http://www.w3.org/2000/svg}"
FIGURE_MODULES = (em_loop, vae_digits)

# Renders every figure twice in a fresh interpreter with another hash seed, so that anything depending on the
# process (set order, id(), a global RNG) shows up, and keeps the model it trained for the tests of the VAE.
_RENDER_IN_CHILD = """
import sys
from pathlib import Path
import numpy as np
sys.path.insert(0, sys.argv[1])
from figures import em_loop, vae_digits
out = Path(sys.argv[2])
for round in ("first", "again"):
    (out / round).mkdir()
    for module in (em_loop, vae_digits):
        for name, data in module.render().items():
            (out / round / name).write_bytes(data)
trained, _, _ = vae_digits.trained_model()
np.savez(out / "model.npz", elbo_history=trained.elbo_history, **trained.params)
"""


@pytest.fixture(scope="module")
def child_render(tmp_path_factory):
    """Start the fresh-process render now, so it trains while this process reads the build's figures."""
    out = tmp_path_factory.mktemp("child-render")
    env = dict(os.environ, PYTHONHASHSEED="12345")
    proc = subprocess.Popen([sys.executable, "-c", _RENDER_IN_CHILD, str(ROOT), str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    yield proc, out
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def child_done(child_render) -> Path:
    """The child's folder once it has finished: `first/` and `again/` (two renders), `model.npz`."""
    proc, out = child_render
    log, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, log.decode(errors="replace")
    return out


@pytest.fixture(scope="module")
def rendered(child_render, warm_cache, tmp_path_factory) -> dict[str, bytes]:
    """Every figure as the run's cold build of slides/ drew it (in a test worker), read from its cache: the VAE is
    trained once there and once in the child, not a third time here."""
    cache = Cache(copy_of(warm_cache, tmp_path_factory.mktemp("figures") / "cache"))
    return {name: path.read_bytes() for name, path in ensure_figures(ROOT, cache).items()}


@pytest.fixture(scope="module")
def model(child_done):
    """The child's trained VAE with the data it learned from (pixels, labels)."""
    saved = np.load(child_done / "model.npz")
    trained = vae.TrainedVAE(params={name: saved[name] for name in vae.PARAM_NAMES}, config=vae.VAEConfig(),
                             elbo_history=saved["elbo_history"])
    return (trained, *vae.load_digit_pixels())


@pytest.fixture
def vae_figures_from_the_build(monkeypatch, rendered):
    """vae_digits.render() gives the build's figures: the cache tests count and place renders, they do not train."""
    monkeypatch.setattr(vae_digits, "render", lambda: {name: rendered[name] for name in vae_digits.OUTPUTS})


# ---------------------------------------------------------------- the SVGs


@pytest.mark.parametrize("name", ["em-loop.svg", "vae-pipeline.svg", "vae-latent-grid.svg", "vae-latent-scatter.svg"])
def test_svg_is_safe_to_inline(rendered, name):
    data = rendered[name]
    assert len(data) < 300_000
    text = data.decode("utf-8")
    assert text.startswith("<svg "), "no XML declaration or doctype before the root"
    assert "<!DOCTYPE" not in text and "<?xml" not in text

    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg"
    assert "width" not in root.attrib and "height" not in root.attrib
    assert len(root.attrib["viewBox"].split()) == 4
    assert root.attrib["role"] == "img" and root.attrib["aria-label"].strip()

    prefix = name.removesuffix(".svg") + "-"
    for node in root.iter():
        assert not node.tag.endswith("}image"), "digits are vector shapes, not embedded images"
        assert node.tag.startswith(SVG)
        if "id" in node.attrib:
            assert node.attrib["id"].startswith(prefix)
        assert node.attrib.get("font-family", "inherit") == "inherit"
        for key, value in node.attrib.items():
            if key.endswith("href"):
                assert value.startswith("#" + prefix), f"external reference {value!r}"
    for needle in ('href="http', "url(http", "url('http", "@import"):
        assert needle not in text


def _text(data: bytes) -> str:
    return " ".join("".join(node.itertext()) for node in ET.fromstring(data).iter(f"{SVG}text"))


def test_em_loop_labels(rendered):
    data = rendered["em-loop.svg"]
    text = _text(data)
    assert "E 步" in text and "M 步" in text
    assert "α, μ, Σ" in text
    tspans = {node.text: node.attrib for node in ET.fromstring(data).iter(f"{SVG}tspan")}
    assert "ẑ" in tspans and "dy" in tspans["ik"], "ik is a real subscript"
    assert b"#A10F2B" in data and b"#1C2430" in data


def test_pipeline_labels_and_parts(rendered):
    data = rendered["vae-pipeline.svg"]
    text = _text(data)
    for label in ("聚类", "Encoder", "Decoder", "q(z\u2009|\u2009x; φ)", "x̂ ∼ p(x\u2009|\u2009z; θ)", "x ∼ p(x)"):
        assert label in text
    # One dot path per digit class, each in its own colour, plus the legend.
    strokes = {node.attrib["stroke"] for node in ET.fromstring(data).iter(f"{SVG}path")
               if node.attrib.get("d", "").endswith("h0")}
    assert strokes == set(DIGIT_COLOURS)
    assert all(str(digit) in text.split() for digit in range(10))


def test_rendering_twice_is_byte_identical(child_done):
    first, again = ({path.name: path.read_bytes() for path in (child_done / r).iterdir()} for r in ("first", "again"))
    assert set(first) == {"em-loop.svg", "vae-pipeline.svg", "vae-latent-grid.svg", "vae-latent-scatter.svg"}
    assert again == first


@pytest.mark.slow
def test_a_fresh_process_renders_the_same_bytes(rendered, child_done):
    for name, data in rendered.items():
        assert (child_done / "first" / name).read_bytes() == data, f"{name} differs between processes"


# ---------------------------------------------------------------- the VAE


def _tiny_problem(seed: int, batch: int):
    """A network small enough to differentiate numerically, with data and fixed noise."""
    rng = np.random.default_rng(seed)
    params = vae.init_params(rng, n_in=6, hidden=4, latent=2)
    return params, rng.uniform(0.0, 1.0, size=(batch, 6)), rng.standard_normal((batch, 2))


def test_hand_written_gradients_match_finite_differences():
    params, x, eps = _tiny_problem(seed=3, batch=5)
    _, grads = vae.loss_and_grads(params, x, eps)
    step = 1e-6
    for name in vae.PARAM_NAMES:
        numeric = np.zeros_like(params[name])
        for index in np.ndindex(params[name].shape):
            saved = params[name][index]
            params[name][index] = saved + step
            plus, _ = vae.loss_and_grads(params, x, eps)
            params[name][index] = saved - step
            minus, _ = vae.loss_and_grads(params, x, eps)
            params[name][index] = saved
            numeric[index] = (plus - minus) / (2 * step)
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-7, err_msg=name)


def test_loss_is_minus_the_elbo():
    params, x, eps = _tiny_problem(seed=4, batch=7)
    loss, _ = vae.loss_and_grads(params, x, eps)
    assert loss == pytest.approx(-vae.mean_elbo(params, x, eps), rel=1e-12)


def test_training_is_deterministic():
    x, _ = vae.load_digit_pixels()
    config = vae.VAEConfig(epochs=2)
    first, second = vae.train_vae(x[:300], config), vae.train_vae(x[:300], config)
    for name in vae.PARAM_NAMES:
        assert np.array_equal(first.params[name], second.params[name])


def test_elbo_improves_far_beyond_its_start(model):
    trained, _, _ = model
    history = trained.elbo_history
    assert len(history) == trained.config.epochs + 1
    assert history[-1] > history[0] + 15.0, history[[0, -1]]
    assert history[-1] > -26.0
    # Still improving at the end is fine, but it must not have diverged.
    assert history[-1] >= np.max(history) - 0.5


def test_reconstructions_beat_the_mean_digit(model):
    trained, x, _ = model
    mu, _ = vae.encode(trained.params, x)
    reconstruction = vae.decode(trained.params, mu)
    baseline = np.mean((x - x.mean(axis=0)) ** 2)
    assert np.mean((reconstruction - x) ** 2) < 0.6 * baseline


def test_latent_codes_cluster_by_digit(model):
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    trained, x, y = model
    mu, _ = vae.encode(trained.params, x)
    accuracy = cross_val_score(KNeighborsClassifier(n_neighbors=10), mu, y, cv=5).mean()
    assert accuracy > 0.7  # chance is 0.1; the labels were never seen in training


# ---------------------------------------------------------------- the cache


def _mtimes(paths):
    return {name: path.stat().st_mtime_ns for name, path in paths.items()}


def test_cache_renders_once_then_serves(tmp_path, monkeypatch, rendered, vae_figures_from_the_build):
    calls: list[str] = []
    for module in FIGURE_MODULES:
        original = module.render

        def counted(original=original, name=module.__name__):
            calls.append(name)
            return original()

        monkeypatch.setattr(module, "render", counted)

    folder = tmp_path / "cache"
    cache = Cache(folder)
    first = ensure_figures(ROOT, cache)
    cache.save()
    assert set(first) == set(rendered)
    assert sorted(calls) == ["figures.em_loop", "figures.vae_digits"]
    for name, path in first.items():
        assert path.is_relative_to(folder) and path.read_bytes() == rendered[name]
    before = _mtimes(first)

    second = ensure_figures(ROOT, Cache(folder))
    assert second == first
    assert sorted(calls) == ["figures.em_loop", "figures.vae_digits"], "nothing re-rendered"
    assert _mtimes(second) == before
    assert not list(folder.rglob(".*.tmp")), "no temporary files left behind"


def test_a_cache_disk_that_refuses_writes_still_gives_every_figure(rendered, tmp_path, monkeypatch):
    """A read-only or full cache disk costs a redraw and a warning, never the figures or a traceback."""
    for module in FIGURE_MODULES:
        monkeypatch.setattr(module, "render", lambda module=module: {k: rendered[k] for k in module.OUTPUTS})
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = Cache(blocker / "cache")
    paths = ensure_figures(ROOT, cache)
    cache.save()
    assert {name: path.read_bytes() for name, path in paths.items()} == rendered
    assert all(not path.is_relative_to(blocker) for path in paths.values())
    assert cache.problems and "cannot write the cache" in cache.problems[0]


def test_fresh_figures_are_found_without_importing_numpy(rendered, tmp_path, vae_figures_from_the_build):
    """The build asks whether figures are current on every run; knowing it must not cost numpy's import."""
    folder = tmp_path / "cache"
    cache = Cache(folder)
    ensure_figures(ROOT, cache)
    cache.save()
    probe = ("import sys; from pathlib import Path; from deckbuild.cache import Cache; "
             "from deckbuild.figure_cache import ensure_figures; "
             f"found = ensure_figures(Path({str(ROOT)!r}), Cache(Path({str(folder)!r}))); "
             "print(len(found), 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.split() == [str(len(rendered)), "False"]


def test_a_tampered_figure_is_redrawn(rendered, tmp_path, vae_figures_from_the_build):
    folder = tmp_path / "cache"
    cache = Cache(folder)
    paths = ensure_figures(ROOT, cache)
    cache.save()
    paths["em-loop.svg"].write_bytes(b"<svg>not the figure</svg>")
    again = ensure_figures(ROOT, Cache(folder))
    assert again["em-loop.svg"].read_bytes() == rendered["em-loop.svg"]


def test_source_hash_covers_module_helpers_and_versions():
    base = figure_cache.source_hash(b"module", {"svg": b"helper"}, {"numpy": "1"})
    assert base == figure_cache.source_hash(b"module", {"svg": b"helper"}, {"numpy": "1"})
    assert base != figure_cache.source_hash(b"module ", {"svg": b"helper"}, {"numpy": "1"})
    assert base != figure_cache.source_hash(b"module", {"svg": b"helper2"}, {"numpy": "1"})
    assert base != figure_cache.source_hash(b"module", {"svg2": b"helper"}, {"numpy": "1"})
    assert base != figure_cache.source_hash(b"module", {"svg": b"helper"}, {"numpy": "2"})
    assert base != figure_cache.source_hash(b"modul", {"esvg": b"helper"}, {"numpy": "1"})


# A throw-away figure package, so the test can edit sources without touching
# the real one. Each render appends to calls.log beside the package: module
# globals would not survive the re-import that an edit triggers.
_FAKE_HELPER = 'COLOUR = "#1C2430"\n'
_FAKE_FIGURE = '''
from pathlib import Path
from . import style

OUTPUTS = ("{name}.svg",)
VERSION = "v1"


def render():
    log = Path(__file__).resolve().parents[1] / "calls.log"
    with log.open("a") as handle:
        handle.write("{name}\\n")
    return {{"{name}.svg": f'<svg fill="{{style.COLOUR}}">{{VERSION}}</svg>'.encode()}}
'''


@pytest.fixture
def fake_root(tmp_path):
    """A project root with its own ``figures`` package, swapped in for the real one."""
    root = tmp_path / "project"
    package = root / "figures"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "style.py").write_text(_FAKE_HELPER)
    for name in ("alpha", "beta"):
        (package / f"{name}.py").write_text(_FAKE_FIGURE.format(name=name))
    saved = {name: module for name, module in sys.modules.items() if name == "figures" or name.startswith("figures.")}
    saved_digests = dict(figure_cache._imported_digest)
    for name in saved:
        del sys.modules[name]
    yield root
    for name in [n for n in sys.modules if n == "figures" or n.startswith("figures.")]:
        del sys.modules[name]
    sys.modules.update(saved)
    figure_cache._imported_digest.clear()
    figure_cache._imported_digest.update(saved_digests)


def _calls(root: Path) -> list[str]:
    log = root / "calls.log"
    calls = sorted(log.read_text().split()) if log.exists() else []
    log.unlink(missing_ok=True)
    return calls


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _figures(root: Path, folder: Path) -> dict[str, Path]:
    cache = Cache(folder)
    found = ensure_figures(root, cache)
    cache.save()
    return found


_IN_PLACE = ("insert", "remove", "append", "extend", "pop", "clear", "__delitem__", "__setitem__", "__iadd__")


def _watched(items: list, edits: list) -> list:
    """A copy of `items` that notes in `edits` every edit made to it in place."""
    def noting(name):
        def edit(self, *args, **kwargs):
            edits.append(name)
            return getattr(list, name)(self, *args, **kwargs)
        return edit

    return type("Watched", (list,), {name: noting(name) for name in _IN_PLACE})(items)


def test_importing_the_figures_edits_neither_the_import_path_nor_the_finders_in_place(fake_root, tmp_path, monkeypatch):
    """The derivation checks import in a thread of their own while the figures are drawn: a finder list or import
    path edited under that import's walk could make it skip what it needs. New lists are put in their place."""
    edits: list[str] = []
    monkeypatch.setattr(sys, "meta_path", _watched(sys.meta_path, edits))
    monkeypatch.setattr(sys, "path", _watched(sys.path, edits))
    found = _figures(fake_root, tmp_path / "cache")
    assert set(found) == {"alpha.svg", "beta.svg"} and edits == []


def test_cache_follows_source_changes(fake_root, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    package = fake_root / "figures"

    paths = _figures(fake_root, cache)
    assert _calls(fake_root) == ["alpha", "beta"]
    assert paths["alpha.svg"].read_text() == '<svg fill="#1C2430">v1</svg>'
    assert _figures(fake_root, cache) == paths
    assert _calls(fake_root) == []

    # An edit to one figure redraws that figure only, with the edited code
    # (the already-imported module must not be reused).
    _edit(package / "alpha.py", 'VERSION = "v1"', 'VERSION = "v2, edited"')
    beta_mtime = paths["beta.svg"].stat().st_mtime_ns
    paths = _figures(fake_root, cache)
    assert _calls(fake_root) == ["alpha"]
    assert paths["alpha.svg"].read_text() == '<svg fill="#1C2430">v2, edited</svg>'
    assert paths["beta.svg"].stat().st_mtime_ns == beta_mtime

    # An edit to a shared helper redraws every figure.
    _edit(package / "style.py", "#1C2430", "#A10F2B")
    paths = _figures(fake_root, cache)
    assert _calls(fake_root) == ["alpha", "beta"]
    assert paths["beta.svg"].read_text() == '<svg fill="#A10F2B">v1</svg>'

    # A lost output is redrawn even though its entry still matches.
    paths["beta.svg"].unlink()
    paths = _figures(fake_root, cache)
    assert _calls(fake_root) == ["beta"]
    assert paths["beta.svg"].exists()

    # A new numpy or scikit-learn redraws everything.
    monkeypatch.setattr(figure_cache, "_dependency_versions", lambda: {"numpy": "99", "scikit-learn": "1.9.1"})
    _figures(fake_root, cache)
    assert _calls(fake_root) == ["alpha", "beta"]
    _figures(fake_root, cache)
    assert _calls(fake_root) == []


def test_cache_rejects_a_render_that_does_not_match_outputs(fake_root, tmp_path):
    _edit(fake_root / "figures" / "beta.py", 'OUTPUTS = ("beta.svg",)', 'OUTPUTS = ("beta.svg", "gamma.svg")')
    with pytest.raises(ValueError, match="gamma.svg"):
        _figures(fake_root, tmp_path / "cache")
    assert not (tmp_path / "cache" / "figures.json").exists()
