"""jieba tokenizers that share one read of the dictionary.

The normaliser and the lexicon each keep a private `jieba.Tokenizer` (words added to one must not
change how the other segments), and the distinctiveness weights use jieba's default one. Each used
to read jieba's dictionary cache on its own: about 1.5 s apiece at the start of every command. Here
the dictionary is read once into a pristine table, and every tokenizer starts from a copy of it
(a dict copy, a few tens of milliseconds), exactly as if it had read the file itself.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

_LOCK = threading.Lock()
_PRISTINE: list[tuple[dict[str, int], int]] = []  # (FREQ, total) of jieba's default dictionary


def _pristine() -> tuple[dict[str, int], int]:
    import jieba

    with _LOCK:
        if not _PRISTINE:
            jieba.setLogLevel(logging.WARNING)
            base = jieba.Tokenizer()
            base.initialize()
            _PRISTINE.append((base.FREQ, base.total))
        return _PRISTINE[0]


def _start_from_pristine(tok: Any) -> None:
    freq, total = _pristine()
    with tok.lock:
        if not tok.initialized:
            tok.FREQ, tok.total = dict(freq), total
            tok.initialized = True


def private_tokenizer() -> Any:
    """A new jieba tokenizer on the default dictionary, for one owner to add its words to."""
    import jieba

    tok = jieba.Tokenizer()
    _start_from_pristine(tok)
    return tok


def initialise_default() -> None:
    """jieba's default tokenizer (`jieba.lcut`, `jieba.get_FREQ`) ready, from the shared read."""
    import jieba

    if jieba.dt.initialized:  # asked on every call of the word tests: setLogLevel clears logging's caches
        return
    jieba.setLogLevel(logging.WARNING)
    _start_from_pristine(jieba.dt)
