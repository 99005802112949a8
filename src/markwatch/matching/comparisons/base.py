"""What every comparison returns: evidence, each with its score, its reason and, for exception rules, a cap."""

from __future__ import annotations

from dataclasses import dataclass

from markwatch.matching.rules import reason_text
from markwatch.model import Reason


@dataclass(frozen=True)
class Evidence:
    """One comparison's finding. `cap` limits the mark score (an exception rule such as 立康/利康)."""

    reason: Reason
    cap: float | None = None

    @property
    def score(self) -> float:
        return self.reason.score or 0.0

    @property
    def kind(self) -> str:
        return self.reason.kind

    def with_detail(self, zh: str, en: str) -> Evidence:
        """The same finding, said more precisely (e.g. naming each look-alike pair)."""
        r = self.reason
        return Evidence(Reason(kind=r.kind, detail=f"{r.detail}（{zh}）", detail_en=f"{r.detail_en} ({en})",
                               score=r.score), cap=self.cap)


def evidence(kind: str, key: str, score: float, *, cap: float | None = None, **values: object) -> Evidence:
    zh, en = reason_text(key, **values)
    return Evidence(Reason(kind=kind, detail=zh, detail_en=en, score=score), cap=cap)
