"""python -m w2v.neighbors: word lists, 'a - b + c' expressions, stdin queries, errors."""

import subprocess
import sys

import numpy as np
import pytest

from w2v import neighbors
from w2v.errors import W2VError
from w2v.outdir import save_model


@pytest.fixture
def model(tmp_path):
    rng = np.random.default_rng(1)
    royal, male, female = rng.standard_normal((3, 20))
    words = ["man", "woman", "king", "queen"] + [f"x{i}" for i in range(30)]
    rows = np.vstack([male, female, royal + male, royal + female, rng.standard_normal((30, 20))])
    save_model(tmp_path / "m", rows, words, np.arange(len(words), 0, -1), {})
    return tmp_path / "m"


def test_parse_query():
    assert neighbors.parse_query("king queen") == [(["king"], []), (["queen"], [])]
    assert neighbors.parse_query(["king", "-", "man", "+", "woman"]) == [(["king", "woman"], ["man"])]
    assert neighbors.parse_query("king - man + woman") == [(["king", "woman"], ["man"])]
    for bad in ("king - - man", "king man - woman", "king -", "- man"):
        with pytest.raises(W2VError):
            neighbors.parse_query(bad)


def test_words_and_analogy(model, capsys):
    assert neighbors.main([str(model), "king", "-", "man", "+", "woman", "-n", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "king + woman - man" and out[1].split()[:2] == ["1.", "queen"] and len(out) == 4
    assert neighbors.main([str(model), "king", "man", "--topn", "2", "--method", "mul"]) == 0
    out = capsys.readouterr().out
    assert out.count("1.") == 2 and "king\n" in out
    with pytest.raises(W2VError, match="unknown word 'nope'"):
        neighbors.main([str(model), "nope"])


def test_stdin_queries_until_eof(model):
    r = subprocess.run(
        [sys.executable, "-m", "w2v.neighbors", str(model), "-n", "1"],
        input="king - man + woman\nnope\n\nqueen\n", capture_output=True, text=True,
    )
    assert "queen" in r.stdout.split("\n\n")[0] and r.stdout.count("1.") == 2  # both good queries answered
    assert "unknown word 'nope'" in r.stderr and "Traceback" not in r.stderr
    assert r.returncode == 2  # a failed query is reported in the exit status when reading a pipe
