"""Every view of the project and the access it requires: the permission-matrix test iterates this registry.

Add one entry per URL pattern you create; tests/accounts/test_permission_matrix.py fails when a URL pattern of the
project is missing here. Fields:
- name: the URL name ("app:name").
- kwargs: a callable (line) -> dict of URL kwargs, given the line under test (or None if not line-scoped).
- perm: the line permission required ("lines.view_line"…), or None for pages any signed-in user may open,
  or "public" for pages that need no sign-in (login, healthz…), or "staff" for admin-only pages.
- line_scoped: whether the view is about one line (then "right role on another line" must get 404).
- method: "get" or "post" (POST views are tested with an empty body: access is decided before validation).
"""

VIEWS: list[dict] = [
    {"name": "accounts:home", "kwargs": None, "perm": None, "line_scoped": False, "method": "get"},
    {"name": "lines:overview", "kwargs": None, "perm": None, "line_scoped": False, "method": "get"},
    {"name": "lines:kiosk", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.view_line",
     "line_scoped": True, "method": "get"},
    {"name": "lines:engineering", "kwargs": None, "perm": "lines.view_engineering", "line_scoped": False,
     "method": "get"},
]

# URL names that are deliberately outside the matrix (public pages, Django admin, auth flows).
PUBLIC = {
    "healthz", "accounts:login", "accounts:logout", "accounts:kiosk_login", "accounts:password_reset",
    "accounts:password_reset_done", "accounts:password_reset_confirm", "accounts:password_reset_complete",
    "accounts:password_change",
}

# --- live floor (apps/lines views: kiosk panels) ---
VIEWS += [
    {"name": "lines:kiosk_tiles", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.view_line",
     "line_scoped": True, "method": "get"},
]
# Internal, not a user-facing page: loopback-only and HMAC-signed (ms5/layers.py; tests/lines/test_views.py).
PUBLIC |= {"lines:live_forward"}
