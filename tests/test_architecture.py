"""The dependency rule of docs/architecture.md: every w2v module imports only modules of earlier layers.

Imports inside functions count too (a lazy import is still a dependency); the one exception is a module's
``__getattr__``, which is where deprecated names point to their new home for one release.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "w2v"

#: Layers, earliest first (the same list as docs/architecture.md).
LAYERS = [
    {"errors"},
    {"safety"},
    {"outdir", "kernels", "count_kernels", "phrase_kernels", "format_kernels"},
    {"subword_kernels"},
    {"subwords"},
    {"cli", "tokenize"},
    {"corpus"},
    {"count"},
    {"vocab"},
    {"phrases"},
    {"encode", "shards"},
    {"vectors"},
    {"fasttext_bin"},
    {"formats"},
    {"resume", "config"},
    {"cooc", "ppmi", "cluster", "warmstart"},
    {"train", "svd"},
    {"evaluate", "export", "neighbors", "layers", "explore"},
    {"pooling"},
    {"compare", "supervised"},
    {"classify"},
]


def layer(name: str) -> int:
    for i, names in enumerate(LAYERS):
        if name in names:
            return i
    raise AssertionError(f"w2v.{name} is in no layer of tests/test_architecture.py (and docs/architecture.md)")


def w2v_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {id(n) for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == "__getattr__"
            for n in ast.walk(f)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 1:
            found.update(a.name for a in node.names if not a.name.startswith("__"))  # __version__ is not a module
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("w2v."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            arg = node.args[0] if node.args else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.startswith("."):
                found.add(arg.value[1:])
    return found


def test_modules_import_only_earlier_layers():
    bad = []
    for path in sorted(PACKAGE.glob("*.py")):
        name = path.stem
        if name in ("__init__", "__main__"):
            continue
        for dep in w2v_imports(path):
            if dep != name and layer(dep) >= layer(name):
                bad.append(f"w2v.{name} (layer {layer(name)}) imports w2v.{dep} (layer {layer(dep)})")
    assert not bad, "\n".join(bad)


def test_readers_of_text_never_import_consumers():
    consumers = LAYERS[layer("evaluate")] | LAYERS[layer("compare")] | LAYERS[layer("classify")]
    for name in ("corpus", "vocab", "encode", "train", "kernels"):
        assert not (w2v_imports(PACKAGE / f"{name}.py") & consumers), name
