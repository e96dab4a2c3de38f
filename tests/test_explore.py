"""w2v.explore: the self-contained explorer page, checked in a real headless Chromium; w2v.formats --to projector.

The browser check (:func:`check_page`) opens the file from disk with every non-file request blocked and
compares what the page shows with ``python -m w2v.neighbors``. Run as a script it checks a page built
from real models and saves the README's screenshot:

    python tests/test_explore.py PAGE.html MODEL [MODEL ...] --screenshot docs/img/explorer.png
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from w2v import explore
from w2v.errors import W2VError
from w2v.formats import load, write_projector, write_word2vec
from w2v.outdir import save_model
from w2v.vectors import Vectors, unit_rows

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


# -- models with structure: clusters of words, and a gender/royalty analogy ------------------------------------


def make_models(tmp_path: Path, n: int = 400, dim: int = 24) -> list[Path]:
    """Three tables of the same words (like SGNS / SVD / PCA of one corpus): a shared cluster structure seen
    through a different random map and noise in each."""
    rng = np.random.default_rng(7)
    words = ["man", "woman", "king", "queen", "boy", "girl", "prince", "princess"]
    words += [f"w{i}" for i in range(n - len(words))]
    centres = rng.standard_normal((12, dim))
    base = centres[rng.integers(0, 12, n)] + 0.6 * rng.standard_normal((n, dim))
    royal, male, female, young = rng.standard_normal((4, dim))
    base[:8] = [male, female, royal + male, royal + female, young + male, young + female,
                royal + young + male, royal + young + female]
    counts = np.arange(10 * n, 0, -10)
    out = []
    for k, method in enumerate(["sgns", "svd", "pca"]):
        mix = np.eye(dim) + 0.3 * np.random.default_rng(k).standard_normal((dim, dim))
        table = base @ mix + 0.15 * np.random.default_rng(10 + k).standard_normal((n, dim))
        save_model(tmp_path / method, table, words, counts,
                   {"method": method, "dim": dim, "window": 5, "corpus": "synthetic-clusters.txt", "epoch_loss": [1]})
        out.append(tmp_path / method)
    return out


# -- w2v.neighbors as the oracle -------------------------------------------------------------------------------


def cli_neighbours(model: Path, queries: list[str], restrict: int, topn: int = 10) -> list[list[tuple[str, float]]]:
    """Run ``python -m w2v.neighbors`` and parse its blocks: one ``[(word, cosine), ...]`` a query."""
    proc = subprocess.run([sys.executable, "-m", "w2v.neighbors", str(model), *queries, "--restrict", str(restrict),
                           "-n", str(topn)], capture_output=True, text=True, env=ENV, timeout=120)
    assert proc.returncode == 0, proc.stderr
    blocks = []
    for block in proc.stdout.strip().split("\n\n"):
        lines = block.splitlines()[1:]
        blocks.append([(m.group(1), float(m.group(2)))
                       for m in (re.match(r"\s*\d+\.\s+(\S+)\s+(-?\d+\.\d+)$", line) for line in lines)])
        assert all(len(h) == 2 for h in blocks[-1]) and len(blocks[-1]) == len(lines)
    return blocks


def assert_same_up_to_ties(page: list[tuple[str, float]], cli: list[tuple[str, float]], exact, tol: float,
                           what: str) -> bool:
    """The page's ranked list equals the CLI's up to ties within ``tol`` (the quantization bound plus the
    CLI's 4-decimal rounding): the r-th cosines agree within ``tol``; a word in one list only has an exact
    cosine within ``2 tol`` of the boundary; the page's order is the exact order up to ``2 tol``.
    ``exact(word)`` is the float cosine. Returns whether the lists are identical."""
    assert len(page) == len(cli), what
    for r, ((pw, pc), (cw, cc)) in enumerate(zip(page, cli)):
        assert abs(pc - cc) <= tol, f"{what}: rank {r + 1}: page {pw} {pc:.5f}, w2v.neighbors {cw} {cc:.4f}"
    page_words, cli_words = [w for w, _ in page], [w for w, _ in cli]
    last = cli[-1][1]
    for w in set(page_words) - set(cli_words):
        assert exact(w) >= last - 2 * tol, f"{what}: page lists {w} ({exact(w):.5f}), far below rank 10 ({last})"
    for w in set(cli_words) - set(page_words):
        assert exact(w) <= page[-1][1] + tol, f"{what}: page misses {w} ({exact(w):.5f})"
    for (a, _), (b, _) in zip(page, page[1:]):
        assert exact(a) >= exact(b) - 2 * tol, f"{what}: {a} before {b}"
    return page_words == cli_words


# -- the browser -----------------------------------------------------------------------------------------------


@contextmanager
def browser_page(width: int = 1500, height: int = 1000):
    """A page of a headless Debian Chromium (fresh profile) with every request that is not file:// blocked
    and recorded; yields ``(page, problems)`` where problems collects console errors, page errors and
    blocked or failed requests."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install the browser with `apt-get install -y chromium` (.ci/run does)")
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="w2v-chromium-") as profile, sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True,
                                                    args=CHROMIUM_ARGS, viewport={"width": width, "height": height},
                                                    offline=True)
        try:
            def route(r):
                if r.request.url.startswith("file:"):
                    r.continue_()
                else:
                    problems.append(f"network request: {r.request.url}")
                    r.abort()

            ctx.route("**/*", route)
            page = ctx.new_page()
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            yield page, problems
        finally:
            ctx.close()


def page_lists(page, container: str) -> dict[str, list[tuple[str, float]]]:
    return {name: [(w, float(c)) for w, c in items] for name, items in page.eval_on_selector_all(
        f"{container} ol.nbrs",
        "ols => ols.map(o => [o.dataset.model, [...o.children].map(li => [li.dataset.word, li.dataset.cos])])")}


def canvas_state(page) -> list[dict]:
    return page.eval_on_selector_all("canvas.map", "cs => cs.map(c => ({model: c.dataset.model, layout: "
                                     "c.dataset.layout, draws: +c.dataset.draws, selected: c.dataset.selected, "
                                     "labels: +c.dataset.labels, png: c.toDataURL()}))")


def pixel(page, model: int, x: float, y: float) -> list[int]:
    """RGBA of map ``model``'s canvas at page coordinates (x, y)."""
    return page.evaluate("""([k, x, y]) => { const c = document.querySelectorAll('canvas.map')[k];
        const r = c.getBoundingClientRect(), d = c.width / r.width;
        return [...c.getContext('2d').getImageData(Math.round((x - r.left) * d), Math.round((y - r.top) * d), 1, 1)
                .data]; }""", [model, x, y])


def check_page(html: Path, models: list[Path], queries: list[str], analogy: tuple[str, str, str],
               screenshot: Path | None = None) -> dict:
    """Drive the page in Chromium and compare it with w2v.neighbors; returns what it measured."""
    data = embedded_data(html)
    n, seed = len(data["words"]), (data["tsne"] or {}).get("seed", 1)
    names = [m["name"] for m in data["models"]]
    tables = [load(m) for m in models]
    units = [unit_rows(t.matrix[:n].astype(np.float64)) for t in tables]
    bits = data["models"][0]["bits"]
    errs = [explore.row_errors(u, seed, bits) for u in units]
    index = {w: i for i, w in enumerate(data["words"])}
    assert all(t.words[:n] == data["words"] for t in tables), "the page's words are each table's first rows"
    report = {"identical_lists": 0, "lists": 0}
    with browser_page() as (page, problems):
        page.goto(html.resolve().as_uri())
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        summary = page.text_content("#summary")
        assert all(name in summary for name in names) and f"{n:,}" in summary, summary
        assert data["models"][0]["corpus"] in summary

        # 1. neighbours of 5 words in every model = w2v.neighbors --restrict n (up to ties)
        oracle = [cli_neighbours(m, queries, n) for m in models]
        for qi, word in enumerate(queries):
            page.fill("#search", word)
            page.press("#search", "Enter")
            shown = page_lists(page, "#neighbours")
            assert list(shown) == names
            for k, name in enumerate(names):
                i = index[word]
                tol = errs[k][i] + errs[k].max() + 6e-5
                same = assert_same_up_to_ties(shown[name], oracle[k][qi],
                                              lambda w, k=k, i=i: units[k][index[w]] @ units[k][i], tol,
                                              f"{name} neighbours of {word}")
                report["identical_lists"] += same
                report["lists"] += 1
            assert all(c["selected"] == word for c in canvas_state(page)), "a searched word is selected in every map"

        # 2. the analogy a : b :: c : ?  = w2v.neighbors "b - a + c"
        a, b, c = analogy
        page.fill("#an-a", a)
        page.fill("#an-b", b)
        page.fill("#an-c", c)
        page.click("#an-go")
        shown = page_lists(page, "#analogy")
        report["analogy"] = {}
        for k, (name, model) in enumerate(zip(names, models)):
            expected = cli_neighbours(model, [f"{b} - {a} + {c}"], n)[0]
            u, rot = units[k], explore.rotation(units[k].shape[1], seed)
            exact_q = unit_rows((u[index[b]] + u[index[c]] - u[index[a]])[None])[0]
            deq = explore.dequantize(explore.quantize(u, seed, bits))
            page_q = unit_rows((deq[index[b]] + deq[index[c]] - deq[index[a]])[None])[0]
            tol = float(np.linalg.norm(page_q - exact_q @ rot)) + errs[k].max() + 6e-5
            assert_same_up_to_ties(shown[name], expected, lambda w, k=k, q=exact_q: units[k][index[w]] @ q, tol,
                                   f"{name} analogy")
            top_page, top_cli = shown[name][0][0], expected[0][0]
            assert top_page == top_cli or units[k][index[top_page]] @ exact_q >= expected[0][1] - 2 * tol, name
            report["analogy"][name] = top_page

        # 3. switching PCA / t-SNE redraws every map with other points
        before = canvas_state(page)
        assert [s["layout"] for s in before] == ["pca"] * len(names)
        page.click("button.layout[data-layout='tsne']")
        after = canvas_state(page)
        for s0, s1 in zip(before, after):
            assert s1["layout"] == "tsne" and s1["draws"] > s0["draws"] and s1["png"] != s0["png"], s1["model"]
            assert s1["labels"] >= 20, "labels are drawn"

        # 4. the wheel zooms one map about the cursor, a drag pans it (and is not a click)
        def spread() -> tuple[float, dict]:
            p0, p1 = (page.evaluate("w => window.w2vExplorer.position(0, w)", w) for w in data["words"][:2])
            return float(np.hypot(p0["x"] - p1["x"], p0["y"] - p1["y"])), p0

        box = page.locator("canvas.map").first.bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        d0, _ = spread()
        page.mouse.move(cx, cy)
        page.mouse.wheel(0, -400)
        page.wait_for_function("d => +document.querySelector('canvas.map').dataset.draws > d", arg=after[0]["draws"])
        d1, p1 = spread()
        assert d1 > 1.5 * d0, (d0, d1)
        page.mouse.down()
        page.mouse.move(cx + 80, cy + 30, steps=4)
        page.mouse.up()
        _, p2 = spread()
        assert abs(p2["x"] - p1["x"] - 80) < 1 and abs(p2["y"] - p1["y"] - 30) < 1, (p1, p2)
        assert canvas_state(page)[0]["selected"] == after[0]["selected"], "a drag selects nothing"
        page.click("#reset")

        # 5. clicking a word in the first map selects and highlights it in every map
        word = page.evaluate("""() => { const e = window.w2vExplorer, ps = e.words.map(w => e.position(0, w));
            let best = 0, far = -1;   // the word farthest from any other on map 0: one click picks it alone
            for (let i = 0; i < ps.length; i++) { let d = Infinity;
              for (let j = 0; j < ps.length; j++)
                if (j !== i) d = Math.min(d, Math.hypot(ps[i].x - ps[j].x, ps[i].y - ps[j].y));
              if (d > far) { far = d; best = i; } }
            return e.words[best]; }""")
        pos = page.evaluate("w => window.w2vExplorer.position(0, w)", word)
        page.mouse.click(pos["x"], pos["y"])
        states = canvas_state(page)
        assert [s["selected"] for s in states] == [word] * len(names), (word, states)
        assert page.text_content("#nbr-title") == f"Neighbours of “{word}”"
        for k in range(len(names)):
            p = page.evaluate("([k, w]) => window.w2vExplorer.position(k, w)", [k, word])
            r, g, bl, _ = pixel(page, k, p["x"], p["y"])
            assert r > 180 and g < 90 and bl < 90, f"map {names[k]}: {word} not drawn in the selection colour"
        report["selected"] = word
        if screenshot is not None:
            page.mouse.move(1, 1)  # no hover tooltip in the picture
            page.screenshot(path=str(screenshot), full_page=True)
        assert not problems, problems
    return report


def embedded_data(html: Path) -> dict:
    text = html.read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="w2v-data">(.*?)</script>', text, re.S)
    return json.loads(m.group(1))


# -- tests -----------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("bits", [12, 8])
def test_page_in_chromium_matches_w2v_neighbors(tmp_path, bits):
    models = make_models(tmp_path)
    out = tmp_path / "explorer.html"
    proc = subprocess.run([sys.executable, "-m", "w2v.explore", *map(str, models), "--out", str(out), "--words", "300",
                           "--bits", str(bits), "--tsne-iter", "250", "--quiet"],
                          capture_output=True, text=True, env=ENV, timeout=300)
    assert proc.returncode == 0, proc.stderr
    shot = tmp_path / "explorer.png"
    report = check_page(out, models, ["man", "king", "w20", "w57", "w199"], ("man", "king", "woman"), shot)
    assert report["analogy"] == {"sgns": "queen", "svd": "queen", "pca": "queen"}
    if bits == 12:  # 8 bits swap near-tied neighbours of these tight clusters often; 12 bits almost never
        assert report["identical_lists"] >= report["lists"] - 1, report
    print(report)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


@pytest.mark.parametrize("bits", [8, 12])
def test_quantization_bound_holds(bits):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((500, 50)) * np.r_[np.full(5, 10.0), np.ones(45)]  # a few dominant axes, like PCA
    u = unit_rows(x)
    q = explore.quantize(u, bits=bits)
    assert np.abs(q).max(axis=1).min() == 2 ** (bits - 1) - 1
    rot = explore.rotation(50)
    np.testing.assert_allclose(rot @ rot.T, np.eye(50), atol=1e-12)
    deq, err = explore.dequantize(q), explore.row_errors(u, bits=bits)
    gap = np.abs(deq @ deq.T - u @ u.T)  # cosines are rotation-invariant: compare with the unturned ones
    assert np.all(gap <= err[:, None] + err[None, :] + 1e-12)
    assert explore.quantization_error(u, bits=bits) == err.max() < (0.02 if bits == 8 else 0.0015)
    assert np.all(explore.quantize(np.zeros((2, 4))) == 0)


def test_pack_12_bits():
    q = np.array([[-2047, 2047, 0], [-1, 1, 5]], dtype=np.int16)
    raw = np.frombuffer(explore.pack(q, 12), np.uint8).astype(np.int64).reshape(-1, 3)
    v0, v1 = raw[:, 0] | (raw[:, 1] & 15) << 8, raw[:, 1] >> 4 | raw[:, 2] << 4  # as the page unpacks
    values = np.stack([v0, v1], 1).ravel()
    assert (np.where(values >= 2048, values - 4096, values)[:6] == q.ravel()).all()
    assert explore.pack(q, 8) == q.astype(np.int8).tobytes()


def test_shared_words_fewer_words_and_escaping(tmp_path):
    rng = np.random.default_rng(0)
    words = ["the", "</script><img src=x onerror=alert(1)>", "b", "c", "d", "e"]
    a = Vectors(rng.standard_normal((6, 8)), words, [9, 8, 7, 6, 5, 4], info={"method": "sgns", "corpus": "x.txt"})
    b = Vectors(rng.standard_normal((4, 8)), ["e", "b", "the", "d"])
    kept, rows = explore.select_words([a, b], 100)
    assert kept == ["the", "b", "d", "e"] and rows[1].tolist() == [2, 1, 3, 0]
    data = explore.page_data([a, b], names=["A", "B"], words=1000, progress=False)
    assert data["words"] == kept and "only 4" in data["note"] and data["layouts"] == ["pca", "tsne"]
    assert data["models"][0]["settings"] == {"corpus": "x.txt", "method": "sgns"}
    html = explore.render(explore.page_data([a], words=3, progress=False))
    assert html.count("</script>") == 2 and "\\u003c/script>\\u003cimg" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)  # nothing to fetch
    assert "http://" not in html and "https://" not in html


def test_size_of_10000_words_at_dim_100(tmp_path):
    rng = np.random.default_rng(1)
    vec = Vectors(rng.standard_normal((12_000, 100)), [f"word{i}" for i in range(12_000)], np.arange(12_000, 0, -1))
    tsne_extra = 4 * 10_000 * 4 / 3  # a second layout: 10,000 uint16 pairs in base64
    for bits, per_value in ((12, 1.5), (8, 1)):
        res = explore.write_page([vec], tmp_path / "e.html", progress=False, tsne=False, bits=bits)
        assert res["words"] == 10_000 and res["note"] == ""
        assert res["bytes"] + tsne_extra <= 3_000_000, res["bytes"]
        data = embedded_data(tmp_path / "e.html")
        assert len(base64.b64decode(data["models"][0]["vectors"])) == 10_000 * 100 * per_value


def test_cli_refuses_bad_input(tmp_path):
    models = make_models(tmp_path, n=40, dim=8)
    bad = tmp_path / "nan"
    save_model(bad, np.r_[np.ones((3, 4)), [[np.nan, 0, 0, 0]]], list("abcd"), [4, 3, 2, 1], {})
    (tmp_path / "dir").mkdir()
    write_word2vec(tmp_path / "v.txt", np.ones((3, 2)), ["x", "y", "z"])
    cases = [([str(models[0]), "--out", str(tmp_path / "dir")], "is a directory"),
             ([str(models[0]), "--out", str(models[0] / "x.html")], "inside the input"),
             ([str(tmp_path / "v.txt"), "--out", str(tmp_path / "v.txt")], "also the input"),
             ([str(bad), "--out", str(tmp_path / "b.html")], "non-finite"),
             ([str(tmp_path / "missing"), "--out", str(tmp_path / "m.html")], "no model"),
             ([str(models[0]), "--out", str(tmp_path / "w.html"), "--words", "1"], "--words")]
    for args, message in cases:
        proc = subprocess.run([sys.executable, "-m", "w2v.explore", *args, "--quiet"], capture_output=True,
                              text=True, env=ENV, timeout=120)
        assert proc.returncode == 2 and proc.stderr.startswith("w2v.explore: error:"), (args, proc.stderr)
        assert message in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    # nothing half-written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "nan", "pca", "sgns", "svd", "v.txt"]
    proc = subprocess.run([sys.executable, "-m", "w2v.explore", str(models[0]), "--out", str(tmp_path / "ok.html"),
                           "--words", "100", "--no-tsne"], capture_output=True, text=True, env=ENV, timeout=120)
    assert proc.returncode == 0 and "warning: 100 words requested, only 40 in the table" in proc.stderr
    assert embedded_data(tmp_path / "ok.html")["layouts"] == ["pca"]


def test_projector_files(tmp_path):
    rng = np.random.default_rng(2)
    vec = Vectors(rng.standard_normal((30, 7)).astype(np.float32), [f"w{i}" for i in range(29)] + ["naïve word"],
                  np.arange(30, 0, -1))
    vec.save(tmp_path / "m")
    out = tmp_path / "proj"
    for _ in range(2):  # a previous export is replaced
        proc = subprocess.run([sys.executable, "-m", "w2v.formats", str(tmp_path / "m"), "--out", str(out), "--to",
                               "projector"], capture_output=True, text=True, env=ENV, timeout=120)
        assert proc.returncode == 0, proc.stderr
    tensors = np.loadtxt(out / "tensors.tsv", delimiter="\t", dtype=np.float64)
    np.testing.assert_array_equal(tensors.astype(np.float32), vec.matrix)  # %.9g round-trips float32
    meta = (out / "metadata.tsv").read_text(encoding="utf-8").splitlines()
    assert meta[0] == "word\tcount" and meta[1:] == [f"{w}\t{c}" for w, c in zip(vec.words, vec.counts)]
    config = json.loads((out / "projector_config.json").read_text())["embeddings"][0]
    assert config["tensorShape"] == [30, 7] and config["metadataPath"] == "metadata.tsv"
    assert 'tensor_path: "tensors.tsv"' in (out / "projector_config.pbtxt").read_text()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    proc = subprocess.run([sys.executable, "-m", "w2v.formats", str(tmp_path / "m"), "--out", str(tmp_path / "mine"),
                           "--to", "projector"], capture_output=True, text=True, env=ENV, timeout=120)
    assert proc.returncode == 2 and "not an Embedding Projector export" in proc.stderr
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]
    with pytest.raises(W2VError, match="tab or a line break"):
        write_projector(tmp_path / "p2", Vectors(np.ones((2, 2)), ["a\tb", "c"]))


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(description="Check an explorer page in Chromium against w2v.neighbors; screenshot.")
    p.add_argument("page", type=Path)
    p.add_argument("models", type=Path, nargs="+")
    p.add_argument("--queries", nargs=5, default=["king", "paris", "three", "computer", "music"])
    p.add_argument("--analogy", nargs=3, default=["man", "king", "woman"])
    p.add_argument("--screenshot", type=Path)
    args = p.parse_args(argv)
    print(json.dumps(check_page(args.page, args.models, args.queries, tuple(args.analogy), args.screenshot)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
