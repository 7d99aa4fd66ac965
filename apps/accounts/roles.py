"""The role matrix: the one place that says what each of the eight roles may do.

Roles become Django groups holding these permissions (``sync_role_groups``); per-line scope comes from
django-guardian grants on ``lines.Line`` (apps/accounts/access.py). ``docs/roles.md`` is generated from this
module by ``manage.py roles_doc``; a test fails when the file is stale.
"""

from __future__ import annotations

from apps.accounts.choices import Role

# Line-scoped actions (permissions declared on lines.Line). A user needs the permission through their role AND
# access to the line: plant-wide roles reach every line, the others only lines granted to them.
LINE_PERMISSIONS: dict[str, str] = {
    "view_line": "See the line's dashboards and kiosk pages",
    "operate_line": "Operate the line from a kiosk (jobs, checklists, stop reasons)",
    "code_downtime": "Give reasons to stops",
    "edit_downtime": "Split, merge and re-code downtime events",
    "raise_andon": "Raise Andon calls",
    "respond_andon": "Acknowledge and resolve Andon calls",
    "manage_schedule": "Plan production schedules and assign jobs",
    "view_engineering": "See live tags, comms status and fault history",
    "view_reports": "See and download reports",
}

# Admin-site (model) permissions for configuring the plant, as app_label.codename patterns; "*" = all actions.
CONFIG_PERMISSIONS: dict[str, list[str]] = {
    "plant": ["lines.*"],
    "plc": ["lines.view_plcconnection", "lines.change_plcconnection", "lines.view_tagmap", "lines.change_tagmap",
            "lines.add_tagmap", "lines.view_faultcode", "lines.change_faultcode", "lines.add_faultcode"],
    "products": ["lines.view_product", "lines.change_product", "lines.add_product", "lines.view_idealcycletime",
                 "lines.change_idealcycletime", "lines.add_idealcycletime"],
    "shifts": ["lines.view_shiftpattern", "lines.change_shiftpattern", "lines.view_shift", "lines.change_shift",
               "lines.add_shift", "lines.view_shiftbreak", "lines.change_shiftbreak", "lines.add_shiftbreak",
               "lines.delete_shiftbreak"],
    "reasons": ["lines.view_reasoncategory", "lines.change_reasoncategory", "lines.add_reasoncategory",
                "lines.view_downtimereason", "lines.change_downtimereason", "lines.add_downtimereason"],
    "users": ["accounts.view_user", "accounts.change_user", "accounts.add_user"],
    "audit": ["accounts.view_securityevent"],
}

ALL_LINE = list(LINE_PERMISSIONS)


class RoleSpec:
    def __init__(self, *, plant_wide: bool, staff: bool, line: list[str], config: list[str], home: str,
                 summary: str) -> None:
        self.plant_wide = plant_wide
        self.staff = staff
        self.line = line
        self.config = config
        self.home = home
        self.summary = summary


ROLES: dict[str, RoleSpec] = {
    Role.ADMIN: RoleSpec(
        plant_wide=True, staff=True, line=ALL_LINE, config=list(CONFIG_PERMISSIONS), home="manager",
        summary="Configures the plant, users and integrations in the admin; sees everything.",
    ),
    Role.PRODUCTION_MANAGER: RoleSpec(
        plant_wide=True, staff=True, line=ALL_LINE, config=["products", "shifts", "reasons", "audit"],
        home="manager", summary="Runs the plant: every line, schedules, reports, escalation top level.",
    ),
    Role.SHIFT_MANAGER: RoleSpec(
        plant_wide=False, staff=False, line=ALL_LINE, config=[], home="manager",
        summary="Runs a shift on the lines granted: codes and edits downtime, answers Andon, plans jobs.",
    ),
    Role.ENGINEER: RoleSpec(
        plant_wide=False, staff=True, line=["view_line", "code_downtime", "raise_andon", "respond_andon",
                                            "view_engineering", "view_reports"],
        config=["plc"], home="engineering",
        summary="Looks after PLCs, tags and fault catalogs; sees live tags and fault history.",
    ),
    Role.OPERATOR: RoleSpec(
        plant_wide=False, staff=False, line=["view_line", "operate_line", "code_downtime", "raise_andon"],
        config=[], home="kiosk", summary="Runs a line from its kiosk: jobs, checklists, stop reasons, Andon.",
    ),
    Role.MAINTENANCE: RoleSpec(
        plant_wide=False, staff=False, line=["view_line", "code_downtime", "raise_andon", "respond_andon",
                                             "view_engineering"],
        config=[], home="engineering", summary="Answers maintenance calls; sees faults and equipment history.",
    ),
    Role.QUALITY: RoleSpec(
        plant_wide=False, staff=False, line=["view_line", "raise_andon", "respond_andon", "view_reports"],
        config=[], home="manager", summary="Answers quality calls and reads scrap and quality figures.",
    ),
    Role.VIEWER: RoleSpec(
        plant_wide=False, staff=False, line=["view_line"], config=[], home="manager",
        summary="Reads dashboards of the lines granted; changes nothing.",
    ),
}


def group_name(role: str) -> str:
    return f"role:{role}"


def config_permission_patterns(role: str) -> list[str]:
    return [pattern for key in ROLES[role].config for pattern in CONFIG_PERMISSIONS[key]]


def render_roles_markdown() -> str:
    """docs/roles.md, generated from the matrix above (``manage.py roles_doc``)."""
    roles = list(ROLES)
    out = [
        "# Roles and permissions",
        "",
        "<!-- Generated by `python manage.py roles_doc` from apps/accounts/roles.py. Do not edit by hand. -->",
        "",
        "Each user has one role. The role decides *what* they may do; *where* (which lines) is decided by line",
        "access grants, except for plant-wide roles, which reach every line. Admins grant line access on the",
        "user's page in the admin.",
        "",
        "## Roles",
        "",
        "| role | label | scope | admin site | home page | what it is for |",
        "|---|---|---|---|---|---|",
    ]
    for role in roles:
        spec = ROLES[role]
        out.append(
            f"| `{role}` | {Role(role).label} | {'every line' if spec.plant_wide else 'lines granted'} | "
            f"{'yes' if spec.staff else 'no'} | {spec.home} | {spec.summary} |"
        )
    out += ["", "## Line actions", "", "| action | " + " | ".join(f"`{r}`" for r in roles) + " |",
            "|---|" + "---|" * len(roles)]
    for codename, label in LINE_PERMISSIONS.items():
        cells = " | ".join("✔" if codename in ROLES[r].line else "" for r in roles)
        out.append(f"| {label} (`lines.{codename}`) | {cells} |")
    out += ["", "## Configuration in the admin", "", "| area | permissions | " + " | ".join(f"`{r}`" for r in roles)
            + " |", "|---|---|" + "---|" * len(roles)]
    for key, patterns in CONFIG_PERMISSIONS.items():
        cells = " | ".join("✔" if key in ROLES[r].config else "" for r in roles)
        out.append(f"| {key} | {', '.join(f'`{p}`' for p in patterns)} | {cells} |")
    out.append("")
    return "\n".join(out)
