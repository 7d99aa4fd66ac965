from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from apps.accounts import access
from apps.lines import selectors


@login_required
def overview(request):
    lines = selectors.overview_lines(user=request.user)
    return render(request, "lines/overview.html", {"lines": lines})


@login_required
def kiosk(request, line_id: int):
    line = access.access_line_by_id(request.user, line_id, "lines.view_line")
    line = selectors.line_with_equipment(line=line)
    return render(request, "lines/kiosk.html", {"line": line})


@login_required
def engineering(request):
    if not access.role_allows(request.user, "lines.view_engineering"):
        from django.http import Http404

        raise Http404("No such page.")
    equipment = selectors.engineering_equipment(user=request.user)
    return render(request, "lines/engineering.html", {"equipment": equipment})
