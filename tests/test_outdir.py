import json
from pathlib import Path

import numpy as np
import pytest

from w2v import load
from w2v.outdir import save_model, to_json


def test_to_json_is_strict_and_plain():
    text = to_json({"a": np.float32(0.5), "b": np.int64(3), "c": np.arange(2), "d": float("nan"),
                    "e": (1, np.inf), "f": Path("x/y")})
    assert json.loads(text) == {"a": 0.5, "b": 3, "c": [0, 1], "d": None, "e": [1, None], "f": "x/y"}
    assert "NaN" not in text and "Infinity" not in text


def test_model_round_trip_with_numpy_config(tmp_path):
    table = np.arange(6, dtype=np.float32).reshape(3, 2)
    save_model(tmp_path / "m", table, ["a", "b", "c"], [5, 3, 1], {"loss": np.float64(np.nan), "n": np.int32(7)})
    model = load(tmp_path / "m")
    np.testing.assert_array_equal(model.embeddings, table)
    assert model.words == ["a", "b", "c"] and list(model.counts) == [5, 3, 1]
    assert model.config["n"] == 7 and model.config["loss"] is None


def test_deprecated_names_warn_and_point_to_the_one_loader():
    import w2v
    from w2v import outdir

    with pytest.warns(DeprecationWarning, match="w2v.outdir.load_model is deprecated"):
        assert outdir.load_model is w2v.load
    with pytest.warns(DeprecationWarning, match="w2v.outdir.Model is deprecated"):
        assert outdir.Model is w2v.Vectors
