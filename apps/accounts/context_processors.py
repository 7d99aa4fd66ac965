"""Navigation that shows each role only what it may use."""

from apps.accounts import access


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items = [("Overview", "/overview/", "lines.view_line")]
    if access.role_allows(user, "lines.view_engineering"):
        items.append(("Engineering", "/engineering/", "lines.view_engineering"))
    nav = [{"label": label, "url": url} for label, url, _ in items]
    kiosk_lines = list(access.visible_lines(user, "lines.operate_line").values_list("pk", "name")[:6])
    for pk, name in kiosk_lines:
        nav.append({"label": f"Kiosk: {name}", "url": f"/lines/{pk}/kiosk/"})
    if user.is_staff:
        nav.append({"label": "Admin", "url": "/admin/"})
    return {"nav": nav}
