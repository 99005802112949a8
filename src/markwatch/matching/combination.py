"""How the matcher combines its findings into one mark score: the rules, or a learned logistic model.

- `rules` (rules.py): the strongest finding, plus AGREEMENT_BONUS for each further strong evidence kind.
- `learned`: a logistic model over a few features of the findings, read from a small JSON file
  (data/combination.json, written by scripts/fit_combination.py):

      mark score = min(sigmoid(intercept + sum(weight[f] * feature[f])), best + max_lift)

  with the features `best` (the strongest finding), `agreement` (how many further evidence kinds
  reach AGREEMENT_MIN_SCORE, at most AGREEMENT_MAX_KINDS) and, for each evidence kind, its
  strongest finding. The model may lower a score freely but raise it by at most `max_lift` above
  the strongest finding (LEARNED_MAX_LIFT): labelled pairs are hard cases, nearly all with some
  finding, and say little of the many weak findings of unrelated marks, which must stay below the
  threshold. Every weight is non-negative, so the score is monotone in every finding: the
  combination of upper bounds of the findings is an upper bound of the score (`bound`), which is
  what the clearance search's bounds and the screening's threshold checks rely on.

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
from markwatch.matching.rules import AGREEMENT_BONUS, AGREEMENT_MAX_KINDS, AGREEMENT_MIN_SCORE, LEARNED_MAX_LIFT

COMBINATIONS = ("rules", "learned")
MODEL_FORMAT = "markwatch-combination/1"

# The evidence kinds the comparisons give (comparisons/*.py); any other kind counts as "other".
EVIDENCE_KINDS = ("identical", "generic", "repeated", "traditional", "contains", "order", "structure", "look",
                  "sound", "pinyin", "latin", "place", "meaning", "translation", "other")
FEATURES = ("best", "agreement", *(f"kind:{k}" for k in EVIDENCE_KINDS))


def features(scored: Sequence[Evidence]) -> dict[str, float]:
    """The features of the findings with a positive score, strongest first (as the matcher sorts them)."""
    out = dict.fromkeys(FEATURES, 0.0)
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
    """A logistic model over `FEATURES`, non-negative weights (checked when loaded)."""

    weights: Mapping[str, float]
    intercept: float
    meta: Mapping[str, object]
    max_lift: float = LEARNED_MAX_LIFT

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(FEATURES)
        if unknown:
            raise FileFormatError(f"combination model: unknown features {sorted(unknown)}")
        negative = [k for k, w in self.weights.items() if not (w >= 0 and math.isfinite(w))]
        if negative:
            raise FileFormatError(f"combination model: weights must be finite and non-negative: {negative}")
        if not math.isfinite(self.intercept):
            raise FileFormatError("combination model: the intercept must be finite")
        if not (0 <= self.max_lift <= 1):
            raise FileFormatError("combination model: max_lift must be in [0, 1]")

    def score_features(self, f: Mapping[str, float]) -> float:
        z = self.intercept + sum(w * f.get(k, 0.0) for k, w in self.weights.items())
        return min(_sigmoid(z), f.get("best", 0.0) + self.max_lift, 1.0)

    def score(self, scored: Sequence[Evidence]) -> float:
        if not scored:
            return 0.0  # no finding: no similarity, as with the rules
        return self.score_features(features(scored))

    def bound(self, best: float, further_kinds: int) -> float:
        """An upper bound of `score` for findings none above `best`, with at most `further_kinds`
        evidence kinds beside the strongest one: every kind at `best` (the weights are non-negative)."""
        if best <= 0:
            return 0.0
        f = {k: best for k in FEATURES}
        f["agreement"] = float(min(max(further_kinds, 0), AGREEMENT_MAX_KINDS))
        return self.score_features(f)

    def to_json(self) -> dict:
        return {"format": MODEL_FORMAT, "features": list(FEATURES), "intercept": self.intercept,
                "max_lift": self.max_lift,
                "weights": {k: self.weights.get(k, 0.0) for k in FEATURES}, "meta": dict(self.meta)}

    @classmethod
    def from_json(cls, data: dict) -> LearnedCombination:
        if data.get("format") != MODEL_FORMAT:
            raise FileFormatError(f"combination model: format must be {MODEL_FORMAT!r}")
        try:
            weights = {str(k): float(v) for k, v in data["weights"].items()}
            intercept = float(data["intercept"])
            max_lift = float(data.get("max_lift", LEARNED_MAX_LIFT))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise FileFormatError(f"combination model: {exc}") from exc
        return cls(weights=weights, intercept=intercept, meta=dict(data.get("meta") or {}), max_lift=max_lift)

    def describe(self) -> list[tuple[str, float]]:
        """(feature, weight) by weight, largest first: what the model reads."""
        return sorted(((k, self.weights.get(k, 0.0)) for k in FEATURES), key=lambda kv: (-kv[1], kv[0]))


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
