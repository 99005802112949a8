"""The benchmark, small: it runs through the product's code paths and guards recall of planted variants."""

from __future__ import annotations

from .test_candidates import load_bench


def test_small_benchmark_keeps_recall(capsys):
    bench = load_bench()
    data = bench.generate(5000, 300, seed=11)
    screening = bench.run_screening(data, exact_sample=60, baseline="full", seed=11)
    assert screening["planted_flagged"] > 200
    assert screening["planted_recall"] >= 0.99, screening["planted_by_kind"]
    assert screening["exact_recall"] is None or screening["exact_recall"] >= 0.99
    assert screening["candidate_pairs"] <= 4 * max(1, screening["alerts"]) + 100
    search = bench.run_search(data, queries=15, exact_queries=4, seed=11)
    assert search["top10_equal"] >= 0.99
    report = {"screening": screening, "search": search}
    table = bench.format_table(report)
    assert "planted recall" in table and "p95" in table
