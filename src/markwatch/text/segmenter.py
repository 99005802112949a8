"""jieba tokenizers that share one read of the dictionary.

The normaliser and the lexicon each keep a private `jieba.Tokenizer` (words added to one must not
change how the other segments), and the distinctiveness weights use jieba's default one. Each used
to read jieba's dictionary cache on its own: about 1.5 s apiece at the start of every command. Here
the dictionary is read once into a pristine table, and every tokenizer starts from a copy of it
(a dict copy, a few tens of milliseconds), exactly as if it had read the file itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from array import array
from pathlib import Path
from typing import Any

_LOCK = threading.Lock()
_PRISTINE: list[tuple[dict[str, int], int]] = []  # (FREQ, total) of jieba's default dictionary
_TAGS: list[dict[str, str]] = []  # the default dictionary's part-of-speech tags (jieba.posseg's table)
log = logging.getLogger(__name__)
_CACHE_FORMAT = 1


def _pristine() -> tuple[dict[str, int], int]:
    with _LOCK:
        if not _PRISTINE:
            _load_dictionary()
        return _PRISTINE[0]


def word_tags() -> dict[str, str]:
    """Each word of jieba's default dictionary and its part-of-speech tag (`jieba.posseg.dt.word_tag_tab`)."""
    with _LOCK:
        if not _TAGS:
            _load_dictionary()
        return _TAGS[0]


def cache_folder() -> Path:
    """Where derived tables are kept between commands: MARKWATCH_CACHE_DIR, else the user's cache folder."""
    if os.environ.get("MARKWATCH_CACHE_DIR"):
        return Path(os.environ["MARKWATCH_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "markwatch"


def _load_dictionary() -> None:
    """jieba's default dictionary as jieba reads it (its prefix table and total) and its tags, from
    markwatch's own cache of them when that is current. jieba's cache is a marshal file that takes
    about 0.8 s to read and the tags another 0.35 s; ours is flat text and numbers (about 0.2 s),
    rebuilt when jieba or its dictionary file changes."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    with jieba.Tokenizer().get_dict_file() as fh:  # the default dictionary's file
        source = Path(fh.name)
    stat = source.stat()
    key = {"format": _CACHE_FORMAT, "jieba": jieba.__version__, "source": str(source), "size": stat.st_size,
           "mtime_ns": stat.st_mtime_ns}
    try:
        # one file per dictionary file: environments with their own jieba do not take turns rewriting one
        name = hashlib.sha256(str(source).encode("utf-8")).hexdigest()[:16]
        path: Path | None = cache_folder() / f"jieba-{name}.dict"
    except (RuntimeError, KeyError) as exc:  # no home folder to keep it in (a bare service account)
        log.debug("no folder for the dictionary cache: %s", exc)
        path = None
    loaded = _read_cache(path, key) if path is not None else None
    if loaded is None:
        base = jieba.Tokenizer()
        freq, total = base.gen_pfdict(base.get_dict_file())
        tags = _read_tags(source)
        if path is not None:
            _write_cache(path, key, freq, total, tags)
    else:
        freq, total, tags = loaded
    _PRISTINE.append((freq, total))
    _TAGS.append(tags)


def _read_tags(source: Path) -> dict[str, str]:
    """`jieba.posseg.POSTokenizer.load_word_tag` of the dictionary file."""
    tags: dict[str, str] = {}
    with open(source, "rb") as fh:
        for line in fh:
            text = line.strip().decode("utf-8")
            if text:
                word, _, tag = text.split(" ")
                tags[word] = tag
    return tags


def _write_cache(path: Path, key: dict, freq: dict[str, int], total: int, tags: dict[str, str]) -> None:
    words = "\n".join(freq).encode("utf-8")
    counts = array("q", freq.values()).tobytes()
    tag_words = "\n".join(tags).encode("utf-8")
    tag_names = "\n".join(tags.values()).encode("utf-8")
    header = {**key, "total": total, "sections": [len(words), len(counts), len(tag_words), len(tag_names)]}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
        with os.fdopen(fd, "wb") as fh:
            fh.write(json.dumps(header).encode("ascii") + b"\n")
            for part in (words, counts, tag_words, tag_names):
                fh.write(part)
        os.replace(tmp, path)
    except OSError as exc:  # a read-only home: every command reads jieba's own cache instead
        log.debug("cannot keep the dictionary cache at %s: %s", path, exc)


def _read_cache(path: Path, key: dict) -> tuple[dict[str, int], int, dict[str, str]] | None:
    try:
        with open(path, "rb") as fh:
            header = json.loads(fh.readline())
            if {k: header.get(k) for k in key} != key:
                return None
            parts = [fh.read(n) for n in header["sections"]]
        words, counts, tag_words, tag_names = parts
        if any(len(p) != n for p, n in zip(parts, header["sections"])):
            return None
        values = array("q")
        values.frombytes(counts)
        freq = dict(zip(words.decode("utf-8").split("\n"), values))
        names = tag_words.decode("utf-8").split("\n"), tag_names.decode("utf-8").split("\n")
        tags = dict(zip(*names))
        if len(freq) != len(values) or len(names[0]) != len(names[1]) or len(tags) != len(names[0]):
            return None
        return freq, int(header["total"]), tags
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.debug("dictionary cache at %s not used: %s", path, exc)
        return None


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
