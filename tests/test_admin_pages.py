"""Every model registered in the admin opens its list and (where adding is allowed) its add form for a superuser."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories.accounts import UserFactory

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.mark.django_db
@pytest.mark.parametrize("model, model_admin", REGISTERED, ids=[m._meta.label for m, _ in REGISTERED])
def test_admin_changelist_and_add_form_render(client, model, model_admin):
    user = UserFactory(username="root", role="admin")
    client.force_login(user)
    opts = model._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == 200, f"{opts.label} list: {response.status_code}"
    request = response.wsgi_request
    if model_admin.has_add_permission(request):
        response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        assert response.status_code == 200, f"{opts.label} add form: {response.status_code}"
