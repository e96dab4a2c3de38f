"""The seed's worked example runs and shows what it claims."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "embedding_explained.py"


def load_script():
    spec = importlib.util.spec_from_file_location("embedding_explained", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_worked_example_steps():
    out = load_script().explain(seed=3, verbose=False)
    assert out["first"] == [0, 1, 2, 3, 4] and out["second"] == [5, 1, 2, 3, 6]
    assert out["table"].shape == (7, 2)
    assert np.array_equal(out["second_rows"], out["table"][[5, 1, 2, 3, 6]])
    assert np.array_equal(out["soon_product"], out["table"][4])
    assert "index 7" in out["error"] and "input_dim=7" in out["error"]
    assert out["changed"] == [0, 1, 2, 3, 4]
    assert np.array_equal(out["table_after"][5:], out["table"][5:])
    assert not np.array_equal(out["table_after"][:5], out["table"][:5])


def test_script_runs_and_prints_each_step():
    r = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for step in range(1, 7):
        assert f"== {step}." in r.stdout
    assert "[5, 1, 2, 3, 6]" in r.stdout and "rows that changed: [0, 1, 2, 3, 4]" in r.stdout
