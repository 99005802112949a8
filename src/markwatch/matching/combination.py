"""How the matcher combines its findings into one mark score: the rules, or a learned logistic model.

- `rules` (rules.py): the strongest finding, plus AGREEMENT_BONUS for each further strong evidence kind.
- `learned`: a logistic model over features of the findings and of the pair, read from a small
  JSON file (data/combination.json, written by scripts/fit_combination.py):

      model = sigmoid(intercept + sum(weight[f] * feature[f]))
      mark score = clip(model, rules - max_lower, best + max_lift * written_share)

  with the features of the findings `best` (the strongest finding), `agreement` (how many further
  evidence kinds reach AGREEMENT_MIN_SCORE, at most AGREEMENT_MAX_KINDS) and, for each evidence
  kind, its strongest finding; and the features of the pair (pair_features.py, each in [0, 1]):
  how much of the brand is written in the mark and how distinctive that shared part is, what the
  mark adds, the goods overlap, pinyin Jaro-Winkler, initials and finals, the first character.

  The model may lower the rules' score by at most `max_lower` (LEARNED_MAX_LOWER) and raise the
  strongest finding by at most `max_lift` (LEARNED_MAX_LIFT) scaled by the written share: labelled
  pairs are hard cases, nearly all with some finding, and say little of the many weak findings of
  unrelated marks, which must stay below the threshold; a pair that shares no written character
  (a partial homophone) is not lifted at all. The weights of the findings are non-negative, so the
  score is monotone in every finding; those of the pair's features may have either sign, and the
  bound takes each at the end of [0, 1] its weight favours: the combination of upper bounds of the
  findings is an upper bound of the score (`bound`), which is what the clearance search's bounds
  and the screening's threshold checks rely on.

Caps (exception rules), the goods factor, the threshold and the reasons are applied after the
combination, the same for both.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from markwatch.errors import ConfigError, FileFormatError
from markwatch.matching.comparisons.base import Evidence
from markwatch.matching.pair_features import PAIR_FEATURES
from markwatch.matching.rules import (
    AGREEMENT_BONUS,
    AGREEMENT_MAX_KINDS,
    AGREEMENT_MIN_SCORE,
    LEARNED_MAX_LIFT,
    LEARNED_MAX_LOWER,
)

COMBINATIONS = ("rules", "learned")
MODEL_FORMAT = "markwatch-combination/2"

# The evidence kinds the comparisons give (comparisons/*.py); any other kind counts as "other".
EVIDENCE_KINDS = ("identical", "generic", "repeated", "traditional", "contains", "order", "structure", "look",
                  "sound", "pinyin", "latin", "place", "meaning", "translation", "other")
FINDING_FEATURES = ("best", "agreement", *(f"kind:{k}" for k in EVIDENCE_KINDS))
CONTEXT_FEATURES = tuple(f"pair:{k}" for k in PAIR_FEATURES)  # either sign, each in [0, 1]
FEATURES = (*FINDING_FEATURES, *CONTEXT_FEATURES)


def features(scored: Sequence[Evidence], pair: Mapping[str, float] | None = None) -> dict[str, float]:
    """The features of the findings with a positive score, strongest first (as the matcher sorts them),
    and of the pair (pair_features.pair_features; None: unknown, all 0)."""
    out = dict.fromkeys(FEATURES, 0.0)
    for k, v in (pair or {}).items():
        out[f"pair:{k}"] = min(1.0, max(0.0, float(v)))
    if not scored:
        return out
    out["best"] = scored[0].score
    strong = {e.kind for e in scored[1:] if e.score >= AGREEMENT_MIN_SCORE and e.kind != scored[0].kind}
    out["agreement"] = float(min(len(strong), AGREEMENT_MAX_KINDS))
    for e in scored:
        key = f"kind:{e.kind if e.kind in EVIDENCE_KINDS else 'other'}"
        out[key] = max(out[key], e.score)
    return out


def rules_score(scored: Sequence[Evidence]) -> float:
    """The rules' combination: the strongest finding plus the agreement bonus."""
    if not scored:
        return 0.0
    f = features(scored)
    return min(1.0, f["best"] + AGREEMENT_BONUS * f["agreement"])


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(frozen=True)
class LearnedCombination:
    """A logistic model over `FEATURES`: non-negative weights of the findings (checked when loaded)."""

    weights: Mapping[str, float]
    intercept: float
    meta: Mapping[str, object]
    max_lift: float = LEARNED_MAX_LIFT
    max_lower: float = LEARNED_MAX_LOWER

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(FEATURES)
        if unknown:
            raise FileFormatError(f"combination model: unknown features {sorted(unknown)}")
        negative = [k for k, w in self.weights.items()
                    if not math.isfinite(w) or (w < 0 and k in FINDING_FEATURES)]
        if negative:
            raise FileFormatError(f"combination model: weights must be finite, and non-negative for the "
                                  f"findings: {negative}")
        if not math.isfinite(self.intercept):
            raise FileFormatError("combination model: the intercept must be finite")
        if not (0 <= self.max_lift <= 1) or not (0 <= self.max_lower <= 1):
            raise FileFormatError("combination model: max_lift and max_lower must be in [0, 1]")

    def score_features(self, f: Mapping[str, float], rules: float, share: float = 1.0) -> float:
        """The mark score of features `f`, the rules' score being `rules`, the lift scaled by `share`."""
        z = self.intercept + sum(w * f.get(k, 0.0) for k, w in self.weights.items())
        high = min(f.get("best", 0.0) + self.max_lift * min(1.0, max(0.0, share)), 1.0)
        low = min(max(0.0, rules - self.max_lower), high)
        return min(max(_sigmoid(z), low), high)

    def score(self, scored: Sequence[Evidence], pair: Mapping[str, float] | None = None) -> float:
        """The mark score of the findings; `pair`: the pair's features (None: unknown, all 0, and the
        lift not scaled)."""
        if not scored:
            return 0.0  # no finding: no similarity, as with the rules
        share = 1.0 if pair is None else pair.get("written_share", 0.0)
        return self.score_features(features(scored, pair), rules_score(scored), share)

    def bound(self, best: float, further_kinds: int) -> float:
        """An upper bound of `score` for findings none above `best`, with at most `further_kinds`
        evidence kinds beside the strongest one, whatever the pair: every kind at `best` (their
        weights are non-negative), each pair feature at 0 or 1 as its weight's sign favours, the full lift."""
        if best <= 0:
            return 0.0
        kinds = float(min(max(further_kinds, 0), AGREEMENT_MAX_KINDS))
        f = {k: best for k in FINDING_FEATURES}
        f["agreement"] = kinds
        f.update({k: 1.0 if self.weights.get(k, 0.0) > 0 else 0.0 for k in CONTEXT_FEATURES})
        z = self.intercept + sum(w * f.get(k, 0.0) for k, w in self.weights.items())
        high = min(best + self.max_lift, 1.0)
        rules = min(1.0, best + AGREEMENT_BONUS * kinds)
        return min(max(_sigmoid(z), rules - self.max_lower), high)

    def to_json(self) -> dict:
        return {"format": MODEL_FORMAT, "features": list(FEATURES), "intercept": self.intercept,
                "max_lift": self.max_lift, "max_lower": self.max_lower,
                "weights": {k: self.weights.get(k, 0.0) for k in FEATURES}, "meta": dict(self.meta)}

    @classmethod
    def from_json(cls, data: dict) -> LearnedCombination:
        if data.get("format") != MODEL_FORMAT:
            raise FileFormatError(f"combination model: format must be {MODEL_FORMAT!r}")
        try:
            weights = {str(k): float(v) for k, v in data["weights"].items()}
            intercept = float(data["intercept"])
            max_lift = float(data.get("max_lift", LEARNED_MAX_LIFT))
            max_lower = float(data.get("max_lower", LEARNED_MAX_LOWER))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise FileFormatError(f"combination model: {exc}") from exc
        return cls(weights=weights, intercept=intercept, meta=dict(data.get("meta") or {}), max_lift=max_lift,
                   max_lower=max_lower)

    def describe(self) -> list[tuple[str, float]]:
        """(feature, weight) by the weight's size, largest first: what the model reads."""
        return sorted(((k, self.weights.get(k, 0.0)) for k in FEATURES), key=lambda kv: (-abs(kv[1]), kv[0]))


@lru_cache(maxsize=1)
def shipped_model() -> LearnedCombination:
    """The model shipped in the package (data/combination.json), read once, offline."""
    text = resources.files("markwatch").joinpath("data/combination.json").read_text(encoding="utf-8")
    return LearnedCombination.from_json(json.loads(text))


def combination_named(name: str | None) -> LearnedCombination | None:
    """None for the rules, the shipped model for `learned`."""
    if name in (None, "", "rules"):
        return None
    if name == "learned":
        return shipped_model()
    raise ConfigError(f"combination must be one of {', '.join(COMBINATIONS)} (got {name!r})")
