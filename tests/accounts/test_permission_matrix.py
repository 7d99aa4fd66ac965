"""The role × view × line permission matrix, driven by tests/access_matrix.py (see its docstring for the format).

For every registered view: anonymous -> login redirect; each of the eight roles, granted line A only, on line A ->
``ok`` when the role allows ``perm`` and 404 otherwise; on line B (not granted) -> 404 for line-scoped views unless
the role is plant-wide. A second test walks the URL configuration so that no view escapes the registry.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from apps.accounts import access
from apps.accounts.roles import ROLES
from tests.access_matrix import PUBLIC, VIEWS
from tests.factories.accounts import UserFactory

POST_OK = (200, 204, 302, 400)


def expected_ok(entry: dict) -> tuple[int, ...]:
    ok = entry.get("ok")
    if ok is None:
        return (200,) if entry.get("method", "get") == "get" else POST_OK
    return ok if isinstance(ok, tuple) else (ok,)


def request(client, entry: dict, line):
    kwargs = entry["kwargs"](line) if entry.get("kwargs") else {}
    url = reverse(entry["name"], kwargs=kwargs)
    method = entry.get("method", "get")
    assert method in ("get", "post"), f"{entry['name']}: method must be get or post"
    return url, getattr(client, method)(url, {} if method == "post" else None)


def role_may(user, perm) -> bool:
    if perm is None:
        return True
    if perm == "staff":
        return user.is_staff
    return access.role_allows(user, perm)


def entry_id(entry: dict) -> str:
    return entry["name"]


@pytest.fixture
def personas(line_a):
    """One user per role, granted line A only."""
    return {role: UserFactory(username=f"matrix-{role}", role=role, lines=[line_a]) for role in ROLES}


@pytest.mark.django_db
@pytest.mark.parametrize("entry", VIEWS, ids=entry_id)
def test_permission_matrix(client, entry, line_a, line_b, personas):
    perm = entry.get("perm")
    assert entry["name"] not in PUBLIC, f"{entry['name']} is in both VIEWS and PUBLIC"
    ok = expected_ok(entry)

    # anonymous
    url, response = request(client, entry, line_a)
    if perm == "public":
        assert response.status_code in ok, f"anonymous {url}: {response.status_code}"
        return
    login_url = reverse(settings.LOGIN_URL)
    assert response.status_code == 302 and response["Location"].startswith(login_url), (
        f"anonymous {url}: expected a redirect to {login_url}, got {response.status_code}"
    )

    checked_wrong_role = False
    for role, user in personas.items():
        client.force_login(user)
        allowed = role_may(user, perm)
        url, response = request(client, entry, line_a)
        wanted = ok if allowed else (404,)
        assert response.status_code in wanted, f"{role} on its line, {url}: {response.status_code}, want {wanted}"
        checked_wrong_role |= not allowed
        if entry.get("line_scoped") and allowed:
            url, response = request(client, entry, line_b)
            wanted = ok if ROLES[role].plant_wide else (404,)
            assert response.status_code in wanted, (
                f"{role} on another line, {url}: {response.status_code}, want {wanted}"
            )
        client.logout()
    # a view gated by a permission that every role has cannot show "wrong role"; every other gate must
    if perm not in (None, "lines.view_line"):
        assert checked_wrong_role, f"no role lacks {perm}: the wrong-role case of {entry['name']} is untested"


@pytest.mark.django_db
def test_missing_line_gives_the_same_404_as_a_forbidden_one(client, line_a, line_b, personas):
    """For line-scoped views, a line id that does not exist answers exactly like a line not granted."""
    scoped = [e for e in VIEWS if e.get("line_scoped")]
    assert scoped
    user = personas["viewer"]
    client.force_login(user)
    for entry in scoped:
        if not role_may(user, entry.get("perm")):
            continue
        _, forbidden = request(client, entry, line_b)
        missing_pk = line_b.pk + 10_000
        kwargs = entry["kwargs"](line_b)
        kwargs = {k: (missing_pk if v == line_b.pk else v) for k, v in kwargs.items()}
        missing = getattr(client, entry.get("method", "get"))(reverse(entry["name"], kwargs=kwargs))
        assert forbidden.status_code == missing.status_code == 404, entry["name"]
        assert forbidden.content == missing.content, entry["name"]


def walk(patterns, namespace: str = "", prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace
            if ns == "admin" and not namespace:
                continue  # Django's admin has its own permission checks
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from walk(pattern.url_patterns, full_ns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if pattern.name:
                yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), route
            else:
                yield "/" + route, route


def test_every_url_pattern_is_in_the_matrix_or_public():
    registered = {entry["name"] for entry in VIEWS} | PUBLIC
    unlisted = sorted(
        f"{name} ({route})" for name, route in walk(get_resolver().url_patterns)
        if name not in registered
    )
    assert not unlisted, (
        "URL patterns missing from tests/access_matrix.py (add them to VIEWS, or to PUBLIC if deliberately "
        f"open): {unlisted}"
    )


def test_registry_names_resolve():
    known = {name for name, _ in walk(get_resolver().url_patterns)}
    stale = sorted(({e["name"] for e in VIEWS} | PUBLIC) - known)
    assert not stale, f"tests/access_matrix.py names URL patterns that no longer exist: {stale}"
