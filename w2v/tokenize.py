"""Named tokenizers, shared by the trainer and the classifier, so a table's words and a task's words
are made by the same rule.

* ``whitespace`` – split on whitespace, nothing else (the trainer's default; right for text8-style
  corpora that are already lowercased and stripped of punctuation);
* ``words`` – lowercase, then words (letters/digits with inner apostrophes: *isn't*, *film's*) and
  every punctuation mark as a token of its own: ``"It's GREAT, isn't it?!"`` →
  ``it's great , isn't it ? !`` (the classifier's default; right for raw text such as reviews);
* ``words-cased`` – the same without lowercasing.

The name is recorded in a model's ``config.json`` (key ``tokenize``); a consumer that meets a table
made with another rule warns (:func:`check_match`), since a mismatch silently loses words
(``it's`` vs ``it`` ``'`` ``s``, ``Film`` vs ``film``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping

from .errors import W2VError

#: A word (letters/digits, with inner apostrophes: "isn't", "film's") or one punctuation character.
TOKEN_RE = re.compile(r"\w+(?:'\w+)*|[^\w\s]")
DEFAULT = "whitespace"


def whitespace(text: str) -> list[str]:
    """``text.split()``."""
    return text.split()


def words(text: str) -> list[str]:
    """Lowercased words with inner apostrophes, and punctuation marks."""
    return TOKEN_RE.findall(text.lower())


def words_cased(text: str) -> list[str]:
    """Words with inner apostrophes, and punctuation marks, case kept."""
    return TOKEN_RE.findall(text)


TOKENIZERS: dict[str, Callable[[str], list[str]]] = {
    "whitespace": whitespace,
    "words": words,
    "words-cased": words_cased,
}


def get(name: str) -> Callable[[str], list[str]]:
    """The tokenizer called ``name``; :class:`W2VError` naming the choices otherwise."""
    try:
        return TOKENIZERS[name]
    except KeyError:
        raise W2VError(f"unknown tokenizer {name!r}: choose one of {', '.join(TOKENIZERS)}") from None


def as_whitespace(name: str) -> Callable[[str], str] | None:
    """A function that rewrites text so that splitting it on whitespace gives the tokenizer ``name``'s
    tokens, line breaks kept (``None`` for ``whitespace``): how a whitespace-splitting encoder applies
    any tokenizer. Text cut at whitespace can be rewritten piece by piece."""
    split = get(name)
    if name == "whitespace":
        return None

    def rewrite(text: str) -> str:  # a trailing space: the next piece's first token stays apart
        return "\n".join(" ".join(split(line)) for line in text.split("\n")) + " "

    return rewrite


def tokenize(text: str, name: str = "words") -> list[str]:
    """Tokens of ``text`` under the tokenizer ``name``."""
    return get(name)(text)


def of_config(config: Mapping | None) -> str:
    """The tokenizer a model's ``config.json`` records (models saved before the key existed: whitespace,
    plus ``lowercase``; tables converted from other tools record none and give ``"unknown"``)."""
    if not config:
        return "unknown"
    name = config.get("tokenize")
    if name is None:
        return DEFAULT if "corpus" in config else "unknown"
    return str(name)


def check_match(model_tokenize: str, data_tokenize: str, what: str = "model", warn: bool = True) -> str | None:
    """A warning line when a table's tokenizer differs from the data's (printed to stderr if ``warn``).

    ``"unknown"`` on either side gives no warning (nothing to compare). Returns the message or ``None``.
    """
    if "unknown" in (model_tokenize, data_tokenize) or model_tokenize == data_tokenize:
        return None
    message = (f"warning: the {what}'s words were made by the {model_tokenize!r} tokenizer, the data's by "
               f"{data_tokenize!r}; words split differently will miss their vectors (see the coverage)")
    if warn:
        print(message, file=sys.stderr)
    return message
