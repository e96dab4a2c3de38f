"""The shared CLI conventions: options generated from config fields, validated once, one spelling per thing."""

from __future__ import annotations

import importlib
import math
import subprocess
import sys

import pytest

from w2v.cli import flag_name
from w2v.errors import W2VError
from w2v.supervised import ClassifyConfig
from w2v.svd import FactorConfig
from w2v.train import TrainConfig

CONFIGS = (TrainConfig, FactorConfig, ClassifyConfig)
TOOLS = ("train", "svd", "classify", "evaluate", "compare", "neighbors", "export", "formats")


@pytest.mark.parametrize("cls", CONFIGS)
def test_every_field_is_an_option_of_the_generated_parser(cls):
    import argparse

    p = argparse.ArgumentParser()
    cls.add_arguments(p)
    strings = {s for a in p._actions for s in a.option_strings}
    for f in cls.options():
        assert (f.metadata["flag"] or flag_name(f.name)) in strings, f.name
    args = p.parse_args([])
    assert cls.from_args(args) == cls().validate()  # the parser's defaults are the dataclass defaults


@pytest.mark.parametrize("cls", CONFIGS)
def test_numbers_must_be_finite_and_in_bounds(cls):
    for f in cls.options():
        m = f.metadata
        if f.type.split("|")[0].strip() not in ("int", "float"):
            continue
        for bad in (math.nan, math.inf):
            with pytest.raises(W2VError, match=flag_name(f.name)):
                cls(**{f.name: bad}).validate()
        for bound, delta in ((m["lo"], -1), (m["hi"], 1)):
            if bound is not None and not (m["all_zero"] and bound + delta == 0):
                with pytest.raises(W2VError, match=flag_name(f.name)):
                    cls(**{f.name: bound + delta}).validate()
        for bound in (m["above"], m["below"]):
            if bound is not None:
                with pytest.raises(W2VError, match=flag_name(f.name)):
                    cls(**{f.name: bound}).validate()


def test_zero_means_all_and_cross_field_rules():
    assert TrainConfig(max_vocab=0).validate().max_vocab is None
    with pytest.raises(W2VError, match="--min-alpha"):
        TrainConfig(alpha=0.01, min_alpha=0.02).validate()
    with pytest.raises(W2VError, match="--alpha"):
        TrainConfig(alpha=1.5).validate()  # the kernel's update diverges (and once divided by zero)
    with pytest.raises(W2VError, match="unknown option"):
        TrainConfig.from_kwargs(dimension=5)


@pytest.mark.parametrize("tool", TOOLS)
def test_one_spelling_per_thing(tool):
    parser = importlib.import_module(f"w2v.{tool}").build_parser()
    text = parser.format_help()
    actions = {s: a for a in parser._actions for s in a.option_strings}
    assert "--quiet" in actions
    for old in ("--output", "--top", "--save-embeddings", "--init", "--src"):
        assert old not in text.replace("--topn", ""), f"{tool} still shows {old}"
    if "--seed" in actions:
        assert actions["--seed"].default == 1
    if "--lowercase" in actions and actions["--lowercase"].help != "==SUPPRESS==":
        assert actions["--lowercase"].help.startswith("lowercase the text before tokenizing")


def test_deprecated_spellings_still_work_with_a_warning(tmp_path):
    from w2v.compare import build_parser as compare_parser
    from w2v.export import build_parser as export_parser

    args = compare_parser().parse_args(["a", "b", "--top", "7", "--output", "r.json"])
    assert args.topn == 7 and args.json_file == "r.json"
    args = export_parser().parse_args(["m", "--vocab", "v", "--out", "o.npy", "--lowercase"])
    assert args.lowercase_fallback is True
    proc = subprocess.run([sys.executable, "-m", "w2v.classify", "--init", str(tmp_path / "none"), "x", "y"],
                          capture_output=True, text=True)
    assert "--init is deprecated, use --model" in proc.stderr


def test_bad_value_is_one_line_exit_2(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n" * 10)
    for bad in (["--alpha", "inf"], ["--dim", "0"], ["--sample", "nan"], ["--window", "x"]):
        proc = subprocess.run([sys.executable, "-m", "w2v.train", str(corpus), *bad, "--quiet"],
                              capture_output=True, text=True)
        assert proc.returncode == 2 and proc.stderr.startswith("w2v.train: error:"), proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
