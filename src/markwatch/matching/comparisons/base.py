"""What every comparison returns: evidence, each with its score, its reason and, for exception rules, a cap."""

from __future__ import annotations

from dataclasses import dataclass

from markwatch.model import Reason


@dataclass(frozen=True)
class Evidence:
    """One comparison's finding. `cap` limits the mark score (an exception rule such as 立康/利康).

    `key` and `values` are what the reason was worded from (`matching.wording`): the final wording of
    a pair's reasons reads them, never the Chinese text.
    """

    reason: Reason
    cap: float | None = None
    key: str = ""
    values: tuple[tuple[str, object], ...] = ()

    @property
    def score(self) -> float:
        return self.reason.score or 0.0

    @property
    def kind(self) -> str:
        return self.reason.kind

    def value(self, name: str) -> object:
        return dict(self.values).get(name)

    def with_detail(self, zh: str, en: str) -> Evidence:
        """The same finding, said more precisely (e.g. naming each look-alike pair)."""
        r = self.reason
        return Evidence(Reason(kind=r.kind, detail=f"{r.detail}（{zh}）", detail_en=f"{r.detail_en} ({en})",
                               score=r.score), cap=self.cap, key=self.key, values=self.values)


def evidence(kind: str, key: str, score: float, *, cap: float | None = None, **values: object) -> Evidence:
    from markwatch.matching.wording import word

    key, zh, en = word(key, **values)
    return Evidence(Reason(kind=kind, detail=zh, detail_en=en, score=score), cap=cap, key=key,
                    values=tuple(values.items()))
