from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    PRODUCTION_MANAGER = "production_manager", "Production manager"
    SHIFT_MANAGER = "shift_manager", "Shift manager"
    ENGINEER = "engineer", "Engineer"
    OPERATOR = "operator", "Operator"
    MAINTENANCE = "maintenance", "Maintenance technician"
    QUALITY = "quality", "Quality inspector"
    VIEWER = "viewer", "Viewer"


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", "Signed in"
    KIOSK_LOGIN = "kiosk_login", "Signed in at a kiosk"
    LOGOUT = "logout", "Signed out"
    LOGIN_FAILED = "login_failed", "Sign-in failed"
    LOCKOUT = "lockout", "Locked out"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    PASSWORD_RESET_REQUESTED = "password_reset_requested", "Password reset requested"
    PASSWORD_RESET = "password_reset", "Password reset"
    PIN_CHANGED = "pin_changed", "Kiosk PIN changed"
    ROLE_CHANGED = "role_changed", "Role changed"
    LINE_ACCESS_GRANTED = "line_access_granted", "Line access granted"
    LINE_ACCESS_REVOKED = "line_access_revoked", "Line access revoked"
    USER_ACTIVATED = "user_activated", "User activated"
    USER_DEACTIVATED = "user_deactivated", "User deactivated"
