"""List views make a fixed number of queries, whatever the number of lines (no N+1); see tests/query_counts.py."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories.accounts import UserFactory
from tests.query_counts import assert_query_count, count_queries, populate_plant

LIST_VIEWS = [
    # (URL name, role of the user looking at it: line-scoped roles exercise the grant filter)
    ("lines:overview", "shift_manager"),
    ("lines:engineering", "engineer"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("view,role", LIST_VIEWS, ids=[v for v, _ in LIST_VIEWS])
def test_list_view_query_count_does_not_grow_with_lines(client, view, role):
    user = UserFactory(role=role)
    client.force_login(user)
    url = reverse(view)
    client.get(url)  # warm caches that are filled once per process (content types, sessions)
    counts = {}
    lines = []
    for total in (1, 5, 20):
        lines += populate_plant(total - len(lines), users=[user])
        count, _, response = count_queries(lambda: client.get(url))
        assert response.status_code == 200
        page = response.content.decode()
        assert all(line.code in page for line in lines)  # every line really is on the page
        counts[total] = count
    assert len(set(counts.values())) == 1, f"{view}: query count grows with the number of lines: {counts}"
    response = assert_query_count(view, lambda: client.get(url))
    assert response.status_code == 200


@pytest.mark.django_db
def test_helper_fails_on_a_changed_count_and_re_records(monkeypatch, tmp_path):
    from django.contrib.auth.models import Group

    from tests import query_counts

    monkeypatch.setattr(query_counts, "BASELINE_FILE", tmp_path / "counts.json")
    monkeypatch.delenv("UPDATE_QUERY_COUNTS", raising=False)
    two_queries = lambda: (Group.objects.count(), Group.objects.count())  # noqa: E731
    with pytest.raises(AssertionError, match="No query-count baseline"):
        assert_query_count("demo", two_queries)
    monkeypatch.setenv("UPDATE_QUERY_COUNTS", "1")
    assert_query_count("demo", two_queries)
    assert query_counts.load_baselines() == {"demo": 2}
    monkeypatch.delenv("UPDATE_QUERY_COUNTS")
    assert_query_count("demo", two_queries)
    with pytest.raises(AssertionError, match=r"demo: 3 queries, baseline 2 \(more\)"):
        assert_query_count("demo", lambda: [Group.objects.count() for _ in range(3)])
