"""Every view of the project and the access it requires: the permission-matrix test iterates this registry.

Add one entry per URL pattern you create; tests/accounts/test_permission_matrix.py fails when a URL pattern of the
project is in neither VIEWS nor PUBLIC. Append in your own block (``VIEWS += [...]``) to keep merges easy.

Fields of a VIEWS entry:
- name: the URL name ("app:name").
- kwargs: None, or a callable (line) -> dict of URL kwargs, given the line under test. It runs inside the test's
  database, so it may create the objects the URL needs (a job, an Andon call…) on that line.
- perm: the line permission required ("lines.view_line"…), or None for pages any signed-in user may open,
  or "public" for pages that need no sign-in, or "staff" for pages only staff may open.
- line_scoped: whether the view is about one line (then "right role on another line" must get 404).
- method: "get" or "post" (POST views are tested with an empty body: access is decided before validation).
- ok (optional): the status code, or a tuple of codes, a permitted user gets. Default 200 for GET and any of
  (200, 204, 302, 400) for POST.

The matrix test signs in one user per role (apps/accounts/roles.py) with line access to line A only, and expects:
anonymous -> redirect to the login page; a role without ``perm`` -> 404; a permitted role on line B (not granted;
plant-wide roles reach it) -> 404 for line-scoped views; a permitted role on line A -> ``ok``.

PUBLIC lists URL names deliberately outside the matrix (public pages, auth flows, internal endpoints); unnamed
URL patterns are listed by their route with a leading slash (e.g. "/" for the root redirect). Django's admin is
outside the matrix: it has its own permission checks (model permissions from the role groups).
"""

VIEWS: list[dict] = [
    {"name": "accounts:home", "kwargs": None, "perm": None, "line_scoped": False, "method": "get", "ok": 302},
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
    "/",  # unnamed root redirect to accounts:home (ms5/urls.py)
}

# --- live floor (apps/lines views: kiosk panels) ---
VIEWS += [
    {"name": "lines:kiosk_tiles", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.view_line",
     "line_scoped": True, "method": "get"},
    {"name": "lines:kiosk_stops", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.view_line",
     "line_scoped": True, "method": "get"},
    {"name": "lines:kiosk_stop_code", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.code_downtime",
     "line_scoped": True, "method": "post", "ok": 400},
]


def _equipment_on(line):
    from tests.factories.lines import EquipmentFactory

    return {"equipment_id": EquipmentFactory(line=line).pk}


# --- live floor: kiosk hour board, manager drill-down and downtime edits, engineer equipment screen ---
VIEWS += [
    {"name": "lines:kiosk_hours", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.view_line",
     "line_scoped": True, "method": "get"},
    {"name": "lines:line_detail", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.view_line",
     "line_scoped": True, "method": "get"},
    {"name": "lines:line_detail_panel", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.view_line",
     "line_scoped": True, "method": "get"},
    # Empty POSTs name no event: 400 with the refreshed panel and its message.
    {"name": "lines:downtime_code", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.edit_downtime",
     "line_scoped": True, "method": "post", "ok": 400},
    {"name": "lines:downtime_split", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.edit_downtime",
     "line_scoped": True, "method": "post", "ok": 400},
    {"name": "lines:downtime_merge", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.edit_downtime",
     "line_scoped": True, "method": "post", "ok": 400},
    {"name": "lines:equipment_detail", "kwargs": _equipment_on, "perm": "lines.view_engineering",
     "line_scoped": True, "method": "get"},
]
# Internal, not a user-facing page: loopback-only and HMAC-signed (ms5/layers.py; tests/lines/test_views.py).
PUBLIC |= {"lines:live_forward"}


# --- reports (apps/reports; docs/reports.md) ---
def _report_on(line):
    from tests.factories.reports import GeneratedReportFactory

    return {"report_id": GeneratedReportFactory(line=line).pk, "fmt": "pdf"}


def _template_on(line):
    from tests.factories.reports import ReportTemplateFactory

    return {"template_id": ReportTemplateFactory(line=line).pk}


VIEWS += [
    {"name": "reports:list", "kwargs": None, "perm": "lines.view_reports", "line_scoped": False, "method": "get"},
    {"name": "reports:line", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.view_reports",
     "line_scoped": True, "method": "get"},
    {"name": "reports:generate", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.view_reports",
     "line_scoped": True, "method": "post", "ok": 400},
    # A report row without files (never generated, or purged by retention) answers 410 Gone to a permitted user.
    {"name": "reports:download", "kwargs": _report_on, "perm": "lines.view_reports", "line_scoped": True,
     "method": "get", "ok": 410},
    {"name": "reports:template_new", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.manage_schedule",
     "line_scoped": True, "method": "get"},
    {"name": "reports:template_edit", "kwargs": _template_on, "perm": "lines.manage_schedule", "line_scoped": True,
     "method": "get"},
    {"name": "reports:handover", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.manage_schedule",
     "line_scoped": True, "method": "get"},
    {"name": "reports:handover_sign", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.manage_schedule",
     "line_scoped": True, "method": "post", "ok": 400},
]


# --- Andon (apps/andon/views.py) ---
def _andon_call_on(line):
    from tests.factories.andon import AndonCallFactory

    return {"call_id": AndonCallFactory(line=line).pk}


VIEWS += [
    {"name": "andon:panel", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.view_line",
     "line_scoped": True, "method": "get"},
    # An empty POST names no category: 400 with the panel and its message.
    {"name": "andon:raise", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.raise_andon",
     "line_scoped": True, "method": "post", "ok": 400},
    {"name": "andon:board", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.view_line",
     "line_scoped": True, "method": "get"},
    {"name": "andon:board_calls", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.view_line",
     "line_scoped": True, "method": "get"},
    {"name": "andon:kpis", "kwargs": lambda line: {"line_id": line.pk}, "perm": "lines.view_reports",
     "line_scoped": True, "method": "get"},
    {"name": "andon:call", "kwargs": _andon_call_on, "perm": "lines.view_line", "line_scoped": True,
     "method": "get"},
    {"name": "andon:acknowledge", "kwargs": _andon_call_on, "perm": "lines.respond_andon", "line_scoped": True,
     "method": "post", "ok": 200},
    # Resolving needs notes: an empty POST is refused with 400.
    {"name": "andon:resolve", "kwargs": _andon_call_on, "perm": "lines.respond_andon", "line_scoped": True,
     "method": "post", "ok": 400},
    # Raisers reach the view; only responders or the call's own raiser may cancel (403 for another's call).
    {"name": "andon:cancel", "kwargs": _andon_call_on, "perm": "lines.raise_andon", "line_scoped": True,
     "method": "post", "ok": (200, 403)},
    {"name": "andon:escalate", "kwargs": _andon_call_on, "perm": "lines.respond_andon", "line_scoped": True,
     "method": "post", "ok": 200},
    {"name": "andon:chime", "kwargs": None, "perm": None, "line_scoped": False, "method": "get"},
    {"name": "andon:push_key", "kwargs": None, "perm": None, "line_scoped": False, "method": "get"},
    {"name": "andon:push_subscribe", "kwargs": None, "perm": None, "line_scoped": False, "method": "post",
     "ok": 400},
    {"name": "andon:preferences", "kwargs": None, "perm": None, "line_scoped": False, "method": "get"},
    {"name": "andon:service_worker", "kwargs": None, "perm": "public", "line_scoped": False, "method": "get"},
]

# --- jobs and checklists (apps/jobs, apps/checklists views) ---
def _job(line):
    from tests.factories.jobs import job_on_line

    return {"line_id": line.pk, "job_id": job_on_line(line).pk}


def _completion(line):
    from tests.factories.checklists import completion_on_line

    return {"line_id": line.pk, "completion_id": completion_on_line(line).pk}


def _line(line):
    return {"line_id": line.pk}


VIEWS += [
    {"name": "jobs:kiosk", "kwargs": _line, "perm": "lines.operate_line", "line_scoped": True, "method": "get"},
    {"name": "jobs:kiosk_panel", "kwargs": _line, "perm": "lines.operate_line", "line_scoped": True,
     "method": "get"},
    {"name": "jobs:accept", "kwargs": _job, "perm": "lines.operate_line", "line_scoped": True, "method": "post",
     "ok": 200},
    {"name": "jobs:start", "kwargs": _job, "perm": "lines.operate_line", "line_scoped": True, "method": "post",
     "ok": 409},  # the job is only assigned: refused with the reason
    {"name": "jobs:complete", "kwargs": _job, "perm": "lines.operate_line", "line_scoped": True, "method": "post",
     "ok": 409},
    {"name": "jobs:changeover_start", "kwargs": _line, "perm": "lines.operate_line", "line_scoped": True,
     "method": "post", "ok": (200, 409)},
    {"name": "jobs:changeover_end", "kwargs": _line, "perm": "lines.operate_line", "line_scoped": True,
     "method": "post", "ok": (200, 409)},
    {"name": "jobs:board", "kwargs": _line, "perm": "lines.manage_schedule", "line_scoped": True, "method": "get"},
    {"name": "jobs:board_panel", "kwargs": _line, "perm": "lines.manage_schedule", "line_scoped": True,
     "method": "get"},
    {"name": "jobs:schedule_create", "kwargs": _line, "perm": "lines.manage_schedule", "line_scoped": True,
     "method": "post", "ok": 400},
    {"name": "jobs:reassign", "kwargs": _job, "perm": "lines.manage_schedule", "line_scoped": True,
     "method": "post", "ok": 200},
    {"name": "jobs:cancel", "kwargs": _job, "perm": "lines.manage_schedule", "line_scoped": True, "method": "post",
     "ok": 409},  # no reason given
    {"name": "checklists:fill_for_job", "kwargs": _job, "perm": "lines.operate_line", "line_scoped": True,
     "method": "get"},
    {"name": "checklists:submit_for_job", "kwargs": _job, "perm": "lines.operate_line", "line_scoped": True,
     "method": "post", "ok": 400},  # no checklist set up
    {"name": "checklists:completion", "kwargs": _completion, "perm": "lines.view_line", "line_scoped": True,
     "method": "get"},
]
