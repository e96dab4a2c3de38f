import numpy as np
import pytest


@pytest.fixture
def planted_corpus(tmp_path):
    """Sentences drawn from one of two disjoint word groups: words of a group co-occur,
    words of different groups never do."""
    rng = np.random.default_rng(0)
    groups = [[f"a{i}" for i in range(8)], [f"b{i}" for i in range(8)]]
    lines = []
    for _ in range(3000):
        g = groups[rng.integers(2)]
        lines.append(" ".join(rng.choice(g, size=8)))
    path = tmp_path / "planted.txt"
    path.write_text("\n".join(lines) + "\n")
    return path, groups
