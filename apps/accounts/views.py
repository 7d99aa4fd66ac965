from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from apps.accounts import access
from apps.accounts.choices import SecurityEventKind
from apps.accounts.forms import KioskLoginForm
from apps.accounts.roles import ROLES
from apps.accounts.services import security_event_record


def lockout_response(request, original_response=None, credentials=None):
    """What django-axes shows a locked-out user: a page that says so and for how long (HTTP 429).

    django-axes 8 calls this as (request, original_response, credentials); the kiosk variant is chosen by the
    credentials (a badge) or, when axes has none, by the kiosk sign-in path.
    """
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    kiosk = bool(isinstance(credentials, dict) and credentials.get("badge")) or (
        request.path == reverse("accounts:kiosk_login")
    )
    return render(request, "accounts/locked_out.html", {"minutes": minutes, "kiosk": kiosk}, status=429)


@login_required
def home(request):
    """Send each role to its landing page."""
    spec = ROLES.get(request.user.role)
    home_page = spec.home if spec else "manager"
    if home_page == "kiosk":
        line = access.visible_lines(request.user, "lines.operate_line").first()
        if line is not None:
            return redirect("lines:kiosk", line_id=line.pk)
    if home_page == "engineering":
        return redirect("lines:engineering")
    return redirect("lines:overview")


@require_http_methods(["GET", "POST"])
def kiosk_login(request):
    form = KioskLoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.user, backend="apps.accounts.backends.BadgePinBackend")
        request.session.set_expiry(settings.KIOSK_SESSION_AGE)
        request.session["kiosk"] = True
        next_url = request.POST.get("next") or request.GET.get("next") or ""
        if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                                        require_https=request.is_secure()):
            return redirect(next_url)
        return redirect("accounts:home")
    return render(request, "accounts/kiosk_login.html", {"form": form, "next": request.GET.get("next", "")})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        security_event_record(kind=SecurityEventKind.PASSWORD_CHANGED, user=self.request.user, request=self.request)
        messages.success(self.request, "Your password was changed.")
        return response

    def get_success_url(self):
        return reverse("accounts:home")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"

    def get_success_url(self):
        return reverse("accounts:password_reset_done")

    def form_valid(self, form):
        security_event_record(kind=SecurityEventKind.PASSWORD_RESET_REQUESTED,
                              username=form.cleaned_data["email"], request=self.request)
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"

    def get_success_url(self):
        return reverse("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        security_event_record(kind=SecurityEventKind.PASSWORD_RESET, user=form.user, request=self.request)
        return response
