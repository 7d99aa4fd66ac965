"""Admin for users, role groups and the security audit log.

Every security-relevant change made here goes through apps/accounts/services.py, so the audit log records it with
the admin who made it as the actor: role (``user_set_role``), active flag (``user_set_active``), line access
(``user_set_line_access``) and the kiosk PIN (``user_set_pin`` / ``user_clear_pin``). Groups named ``role:*`` are
rebuilt from the role matrix (apps/accounts/roles.py) after every migrate, so they are shown read-only.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from apps.accounts import access, services
from apps.accounts.choices import Role
from apps.accounts.models import SecurityEvent, User
from apps.accounts.roles import ROLES
from apps.lines.models import Line
from ms5.admin_mixins import ReadOnlyAdminMixin

ROLE_GROUP_PREFIX = "role:"


def _check_role_allowed(role: str, request_user) -> None:
    # Only a superuser may make someone an administrator (the admin role is a superuser).
    if role == Role.ADMIN and not request_user.is_superuser:
        raise ValidationError("Only an administrator may give the administrator role.")


class UserAdminChangeForm(UserChangeForm):
    lines = forms.ModelMultipleChoiceField(
        queryset=Line.objects.select_related("area").order_by("code"), required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Line access",
        help_text="Lines this user may work on. Plant-wide roles (administrator, production manager) reach every "
                  "line without a grant.",
    )
    new_pin = forms.CharField(
        required=False, max_length=8, label="New kiosk PIN",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "inputmode": "numeric"}),
        help_text="4 to 8 digits. Leave empty to keep the current PIN. Needs a badge number.",
    )
    clear_pin = forms.BooleanField(required=False, label="Remove the kiosk PIN",
                                   help_text="The user can no longer sign in at a kiosk with the badge.")

    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"

    def __init__(self, *args, request_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_user = request_user
        if self.instance.pk:
            self.fields["lines"].initial = access.granted_line_ids(self.instance)

    def clean_role(self):
        role = self.cleaned_data["role"]
        if self.request_user is not None and role != self.instance.role:
            _check_role_allowed(role, self.request_user)
        return role

    def clean_new_pin(self):
        pin = self.cleaned_data.get("new_pin", "")
        if pin and not services.PIN_RE.match(pin):
            raise ValidationError("The PIN must be 4 to 8 digits.")
        return pin

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_pin") and not cleaned.get("badge_number"):
            self.add_error("badge_number", "A kiosk PIN needs a badge number.")
        if cleaned.get("new_pin") and cleaned.get("clear_pin"):
            self.add_error("clear_pin", "Either set a new PIN or remove it, not both.")
        return cleaned


class UserAdminCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "role", "first_name", "last_name", "email", "employee_id", "department",
                  "default_shift")

    def __init__(self, *args, request_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_user = request_user

    def clean_role(self):
        role = self.cleaned_data["role"]
        if self.request_user is not None:
            _check_role_allowed(role, self.request_user)
        return role


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    list_display = ("username", "full_name", "role", "employee_id", "department", "default_shift", "is_active",
                    "kiosk_badge", "last_login")
    list_filter = ("role", "is_active", "department", "default_shift")
    search_fields = ("username", "first_name", "last_name", "email", "employee_id", "badge_number")
    ordering = ("username",)
    readonly_fields = ("last_login", "date_joined", "is_staff", "is_superuser", "role_groups", "pin_status",
                       "audit_link")
    filter_horizontal = ()
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "email", "phone")}),
        ("Work", {"fields": ("role", "employee_id", "department", "default_shift", "skills", "certifications")}),
        ("Line access", {"fields": ("lines",)}),
        ("Kiosk sign-in", {"fields": ("badge_number", "pin_status", "new_pin", "clear_pin")}),
        ("Status", {
            "fields": ("is_active", "is_staff", "is_superuser", "role_groups", "last_login", "date_joined",
                       "audit_link"),
            "description": "Admin-site access, superuser status and groups follow from the role "
                           "(docs/roles.md); change the role to change them.",
        }),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "role", "usable_password", "password1", "password2")}),
        ("Person", {"fields": ("first_name", "last_name", "email", "employee_id", "department", "default_shift")}),
    )

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)

        class RequestForm(form_class):
            def __init__(self, *args, **inner):
                super().__init__(*args, request_user=request.user, **inner)

        RequestForm.__name__ = form_class.__name__
        return RequestForm

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="name")
    def full_name(self, obj: User) -> str:
        return obj.get_full_name()

    @admin.display(description="kiosk badge")
    def kiosk_badge(self, obj: User) -> str:
        if not obj.badge_number:
            return "—"
        return f"{obj.badge_number}{'' if obj.has_pin else ' (no PIN)'}"

    @admin.display(description="kiosk PIN")
    def pin_status(self, obj: User) -> str:
        return "set" if obj.has_pin else "not set"

    @admin.display(description="groups (from the role)")
    def role_groups(self, obj: User) -> str:
        return ", ".join(g.name for g in obj.groups.all()) or "—"

    @admin.display(description="audit log")
    def audit_link(self, obj: User) -> str:
        if not obj.pk:
            return "—"
        url = reverse("admin:accounts_securityevent_changelist") + f"?user__id__exact={obj.pk}"
        return format_html('<a href="{}">Security events of this user</a>', url)

    def save_model(self, request, obj, form, change):
        if not change:
            created = services.user_create(
                username=obj.username, role=obj.role, password_hash=obj.password, actor=request.user,
                email=obj.email, first_name=obj.first_name, last_name=obj.last_name,
                employee_id=obj.employee_id or None, department=obj.department, default_shift=obj.default_shift,
            )
            for field in User._meta.concrete_fields:
                setattr(obj, field.attname, getattr(created, field.attname))
            obj._state.adding = False
            obj._state.db = created._state.db
            return
        # Plain fields are saved directly; role and active flag only through the services (audited, with actor).
        original = User.objects.get(pk=obj.pk)
        new_role, new_active = obj.role, obj.is_active
        obj.role, obj.is_active = original.role, original.is_active
        obj.is_staff, obj.is_superuser = original.is_staff, original.is_superuser
        if not obj.employee_id:
            obj.employee_id = None
        if not obj.badge_number:
            obj.badge_number = None
        obj.save()
        services.user_set_role(user=obj, role=new_role, actor=request.user)
        services.user_set_active(user=obj, active=new_active, actor=request.user)

    def save_related(self, request, form, formsets, change):
        # No groups / user_permissions fields on the form: membership comes from the role.
        super().save_related(request, form, formsets, change)
        if not change:
            return
        user = form.instance
        services.user_set_line_access(user=user, lines=form.cleaned_data.get("lines") or [], actor=request.user)
        if form.cleaned_data.get("new_pin"):
            services.user_set_pin(user=user, pin=form.cleaned_data["new_pin"], actor=request.user)
            messages.info(request, f"The kiosk PIN of {user} was set.")
        elif form.cleaned_data.get("clear_pin") and user.has_pin:
            services.user_clear_pin(user=user, actor=request.user)
            messages.info(request, f"The kiosk PIN of {user} was removed.")


admin.site.unregister(Group)


class GroupAdminForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = "__all__"

    def clean_name(self):
        name = self.cleaned_data["name"]
        if name.startswith(ROLE_GROUP_PREFIX):
            raise ValidationError(f"Names starting with {ROLE_GROUP_PREFIX!r} are reserved for the role groups.")
        return name


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Role groups are generated from the matrix and read-only; other groups (e.g. for line grants) are editable."""

    form = GroupAdminForm
    list_display = ("name", "kind")

    @admin.display(description="kind")
    def kind(self, obj: Group) -> str:
        if obj.name.startswith(ROLE_GROUP_PREFIX):
            return "role (generated from docs/roles.md — read-only)"
        return "custom"

    def _is_role_group(self, obj) -> bool:
        return obj is not None and obj.name.startswith(ROLE_GROUP_PREFIX)

    def has_change_permission(self, request, obj=None):
        return not self._is_role_group(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._is_role_group(obj) and super().has_delete_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if self._is_role_group(obj):
            role = obj.name.removeprefix(ROLE_GROUP_PREFIX)
            if role in ROLES:
                messages.warning(
                    request,
                    f"This group belongs to the role “{Role(role).label}” and is rebuilt from the role matrix "
                    "(apps/accounts/roles.py, published in docs/roles.md) after every migrate. "
                    "Change the matrix in code, not here.",
                )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit log: browsable and filterable, never edited."""

    list_display = ("created_at", "kind", "username", "user", "actor", "ip_address", "detail")
    list_filter = ("kind", ("created_at", admin.DateFieldListFilter), ("user", admin.RelatedOnlyFieldListFilter),
                   "ip_address")
    list_select_related = ("user", "actor")
    search_fields = ("username", "user__username", "actor__username", "ip_address")
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

