"""The workload generator: deterministic for a seed, realistic, independent per domain."""

from __future__ import annotations

import pytest

from prefrontal.bench.workload import MAX_DOMAINS, generate


def test_the_same_seed_gives_the_same_workload_and_another_seed_another() -> None:
    first, again = generate(seed=11, domains=3, days=4), generate(seed=11, domains=3, days=4)
    assert first == again
    assert first.tasks != generate(seed=12, domains=3, days=4).tasks


def test_a_domains_tasks_do_not_depend_on_how_many_domains_there_are() -> None:
    small, large = generate(domains=2, days=3), generate(domains=6, days=3)
    assert [t for t in large.tasks if t.domain in small.domains] == list(small.tasks)


def test_a_month_has_requests_timers_percepts_and_documents_of_realistic_length() -> None:
    workload = generate(domains=3, days=30)
    assert workload.domains == ("home", "health", "money")
    assert workload.count("request") > workload.count("percept") > workload.count("timer") > 0
    assert all(1 <= len(t.subtasks) <= 4 for t in workload.tasks)
    assert [t.at for t in workload.tasks] == sorted(t.at for t in workload.tasks)
    words = sorted(d.words for d in workload.documents.values())
    assert words[0] >= 300
    assert words[-1] <= 12_500
    assert 800 <= words[len(words) // 2] <= 1_300  # median near 1,000 words
    kinds = {s.kind for t in workload.tasks for s in t.subtasks}
    assert kinds == {"read", "summarise", "compute", "lookup"}


def test_bad_sizes_say_what_is_allowed() -> None:
    with pytest.raises(ValueError, match=f"choose 1 to {MAX_DOMAINS}"):
        generate(domains=MAX_DOMAINS + 1)
    with pytest.raises(ValueError, match="at least 1"):
        generate(days=0)
