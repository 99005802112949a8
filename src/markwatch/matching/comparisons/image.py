"""The image channel (图形): the pictures of two marks, their Vienna codes, and words read in a picture.

Evidence, in the matcher's terms (a score in [0, 1] with its reason), combined with the word channels
by the matcher's own rule: the strongest finding counts, each further strong kind adds its agreement
bonus, goods weigh the result. The image rule, in full:

1. **Picture** (kind ``image``). The embedding's cosine ``c`` (best over the brand logo's views)
   scores 0 below ``EMBED_FLOOR``, ``SCORE_AT_FLOOR`` (the default alert threshold) at it, rising
   linearly to ``SCORE_AT_FULL`` at ``EMBED_FULL``: "图形近似 0.93". A near-copy, pHash within
   ``HASH_NEAR_BITS`` of 64 bits while ``c`` reaches ``HASH_MIN_COSINE``, scores ``NEAR_COPY_SCORE``:
   "图形几乎相同（感知哈希相差 3/64 位）".
2. **Vienna codes** (kind ``vienna``). A shared section adds ``VIENNA_SECTION_SUPPORT`` to a picture
   score, a shared division ``VIENNA_DIVISION_SUPPORT``: "图形要素相同 3.7.1", "图形要素同类 3.7". On
   their own (no picture, or pictures not alike) they score ``VIENNA_SECTION_ALONE`` /
   ``VIENNA_DIVISION_ALONE``, below the threshold: two marks showing birds are not alike for that alone.
3. **Words differ** (组合商标 are read by their words). When both pictures carry words (read by OCR, or
   the candidate's written words for a combined mark) and the word channels found nothing of at least
   ``WORDS_ALIKE`` between the marks, the picture score is capped at ``WORDS_DIFFER_CAP``: the embedding
   cannot read, and two logos differing only in their characters embed alike.
4. **Words in the picture** (图中文字). Words read by OCR are another written form of the mark; what the
   word channels find on them is said so, with the OCR confidence, and weighs
   ``min(1, confidence / OCR_FULL_CONFIDENCE)`` of its score.

Without the optional ``images`` extra nothing is read, and a pair with pictures on both sides says
"图形未比较（请安装 markwatch[images]）"; Vienna codes are compared all the same. The figures were set on
the labelled synthetic set of scripts/image_eval.py (see docs/IMAGES.md for the measurements).
"""

from __future__ import annotations

from dataclasses import dataclass

from markwatch.matching.comparisons.base import Evidence
from markwatch.model import Reason

# On the synthetic set (scripts/image_eval.py, 40 logos against 10,000 unrelated pictures) a floor of 0.88
# let 3.8 unrelated pictures per logo score and 99.0% of copies; 0.90 lets 0.8 and 98.5%; 0.92 0.15 and 95.5%.
EMBED_FLOOR = 0.90
EMBED_FULL = 0.98
SCORE_AT_FLOOR = 0.62
SCORE_AT_FULL = 0.92
HASH_NEAR_BITS = 6
HASH_MIN_COSINE = 0.8
NEAR_COPY_SCORE = 0.95
VIENNA_SECTION_SUPPORT = 0.04
VIENNA_DIVISION_SUPPORT = 0.02
VIENNA_SECTION_ALONE = 0.5
VIENNA_DIVISION_ALONE = 0.35
WORDS_ALIKE = 0.6
WORDS_DIFFER_CAP = 0.55
OCR_FULL_CONFIDENCE = 0.9
IMAGE_BOUND = max(NEAR_COPY_SCORE, SCORE_AT_FULL) + VIENNA_SECTION_SUPPORT
# Candidates from the picture index: the lowest cosine at which the picture can score at all.
CANDIDATE_COSINE = min(EMBED_FLOOR, HASH_MIN_COSINE)
NOT_COMPARED = ("图形未比较（请安装 markwatch[images]）", "images not compared (install markwatch[images])")


@dataclass(frozen=True, eq=False)
class Figure:
    """What a mark (or a brand) shows besides its written words."""

    picture: object = None  # markwatch.images.features.PictureFeatures, when read
    vienna: tuple[str, ...] = ()
    image: bool = False  # it has an image, read or not
    words: bool = False  # its picture carries words (recognised, or written for a combined mark)

    @property
    def compared(self) -> bool:
        return self.picture is not None


def _reason(kind: str, zh: str, en: str, score: float) -> Evidence:
    return Evidence(Reason(kind=kind, detail=zh, detail_en=en, score=score))


def picture_score(cos: float) -> float:
    if cos < EMBED_FLOOR:
        return 0.0
    t = min(1.0, (cos - EMBED_FLOOR) / (EMBED_FULL - EMBED_FLOOR))
    return SCORE_AT_FLOOR + t * (SCORE_AT_FULL - SCORE_AT_FLOOR)


def image_evidence(brand: Figure | None, mark: Figure | None, *, words_score: float = 0.0
                   ) -> tuple[list[Evidence], list[Reason]]:
    """(evidence, notes) of the image channel for one pair; `words_score` is the best score the word
    channels gave the pair (rule 3). Notes are said without a score (pictures not compared)."""
    from markwatch.images.features import cosine, hash_distance
    from markwatch.images.vienna import shared

    found: list[Evidence] = []
    notes: list[Reason] = []
    if brand is None or mark is None:
        return found, notes
    sections, divisions = shared(brand.vienna, mark.vienna)
    support = VIENNA_SECTION_SUPPORT if sections else VIENNA_DIVISION_SUPPORT if divisions else 0.0
    score = 0.0
    if brand.image and mark.image and not (brand.compared and mark.compared):
        notes.append(Reason(kind="image", detail=NOT_COMPARED[0], detail_en=NOT_COMPARED[1]))
    elif brand.compared and mark.compared:
        cos = cosine(brand.picture, mark.picture)  # type: ignore[arg-type]
        bits = hash_distance(brand.picture, mark.picture)  # type: ignore[arg-type]
        if bits <= HASH_NEAR_BITS and cos >= HASH_MIN_COSINE:
            score = NEAR_COPY_SCORE
            zh, en = f"图形几乎相同（感知哈希相差 {bits}/64 位）", f"near-identical pictures (pHash {bits}/64 bits apart)"
        else:
            score = picture_score(cos)
            zh, en = f"图形近似 {cos:.2f}", f"similar pictures {cos:.2f}"
        if score > 0:
            score = min(1.0, score + support)
            if brand.words and mark.words and words_score < WORDS_ALIKE:
                score = min(score, WORDS_DIFFER_CAP)
                zh += "，但文字不同（组合商标以文字为准）"
                en += ", but the words differ (combined marks are read by their words)"
            found.append(_reason("image", zh, en, score))
    # Said on their own with their own (low) scores: their weight in a picture's score is the support above.
    for code in sections:
        found.append(_reason("vienna", f"图形要素相同 {code}", f"same figurative element {code} (Vienna)",
                             VIENNA_SECTION_ALONE))
    for code in divisions:
        found.append(_reason("vienna", f"图形要素同类 {code}", f"figurative elements of the same division {code} (Vienna)",
                             VIENNA_DIVISION_ALONE))
    return found, notes


def recognised(e: Evidence, text: str, confidence: float) -> Evidence:
    """A word channel's finding on words read in the picture, said so and weighed by the confidence."""
    r = e.reason
    weight = min(1.0, confidence / OCR_FULL_CONFIDENCE)
    return Evidence(Reason(kind=r.kind, detail=f"图中文字“{text}”（识别置信度 {confidence:.2f}）：{r.detail}",
                           detail_en=f"words in the picture “{text}” (OCR confidence {confidence:.2f}): {r.detail_en}",
                           score=None if r.score is None else r.score * weight), cap=e.cap)
