"""The seams of the matching core: what the matcher needs from the engines it is given.

The shipped implementations are ``goods.table.SimilarGoodsTable``, ``lexicon.Lexicon`` and
``comparisons.meaning.Embedder``; tests and other editions of the data may pass anything with these
methods.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

    from markwatch.goods.table import GoodsMapping


class GoodsTable(Protocol):
    """The 类似商品和服务区分表: goods texts to 类似群, and the names of groups."""

    def map_goods(self, goods_texts: Iterable[str], classes: Iterable[int] = ()) -> GoodsMapping: ...

    def is_goods_word(self, text: str) -> bool: ...

    def group_class(self, code: str) -> int: ...

    def group_name(self, code: str) -> str: ...


class Lexicon(Protocol):
    """Chinese words with their English glosses, brand renderings and synonyms (the meaning channel)."""

    def brand_renderings(self, chinese: str) -> list[str]: ...

    def word_glosses(self, chinese: str, *, names: bool = True) -> list[str]: ...

    def glosses(self, chinese: str) -> set[str]: ...

    def gloss_keys(self, chinese: str) -> dict[str, str]: ...

    def composed_glosses(self, chinese: str) -> list[str]: ...

    def segment(self, chinese: str) -> list[str]: ...

    def chinese_for(self, english: str) -> set[str]: ...

    def headword_count(self, gloss: str) -> int: ...

    def synonyms(self, word: str) -> set[str]: ...


class Embedder(Protocol):
    """A sentence-embedding model, read offline from a folder (the optional semantic extra)."""

    name: str

    def can_read(self, text: str) -> bool: ...

    def vector(self, text: str) -> np.ndarray: ...

    def similarity(self, a: str, b: str) -> float: ...
