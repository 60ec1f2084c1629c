"""Django admin for configuration: areas, organisations, staff accounts and memberships
(careweave.core.adminsite). Nothing can be deleted here (deactivate instead); every
change is written to the audit log in the admin's own transaction. Invitations are shown
read-only, without their token's hash."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest

from careweave.core import auditing
from careweave.core.adminsite import site
from careweave.core.context import Actor
from careweave.orgs.models import Area, Invitation, Membership, Organisation, StaffProfile


class AuditedAdmin(admin.ModelAdmin):
    """Changes are audited; nothing is deleted."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _audit(request, obj, form, change)


def _audit(request: HttpRequest, obj: Model, form: ModelForm, change: bool) -> None:
    actor = getattr(request, "actor", None) or \
        Actor(user=request.user, membership=None)  # type: ignore[arg-type]
    changed = [name for name in form.changed_data if "password" not in name]
    auditing.record(actor=actor, action="update" if change else "create",
                    object_type=type(obj).__name__, object_id=str(obj.pk),
                    detail={"changed": changed, "via": "admin"})


@admin.register(Area, site=site)
class AreaAdmin(AuditedAdmin):
    list_display = ("name", "code", "kind", "country", "parent", "is_active")
    list_filter = ("country", "kind", "is_active")
    search_fields = ("name", "code")
    list_select_related = ("parent",)


@admin.register(Organisation, site=site)
class OrganisationAdmin(AuditedAdmin):
    list_display = ("name", "kind", "country", "area", "code", "is_active")
    list_filter = ("country", "kind", "is_active")
    search_fields = ("name", "code")
    list_select_related = ("area",)


@admin.register(Membership, site=site)
class MembershipAdmin(AuditedAdmin):
    list_display = ("user", "organisation", "role", "job_title", "is_active")
    list_filter = ("role", "is_active", "organisation__country")
    search_fields = ("user__username", "user__last_name", "organisation__name")
    list_select_related = ("user", "organisation")
    raw_id_fields = ("user",)


@admin.register(StaffProfile, site=site)
class StaffProfileAdmin(AuditedAdmin):
    list_display = ("user", "two_factor_exempt", "preferred_language")
    search_fields = ("user__username",)
    # Only the demo loader exempts an account from two-factor authentication.
    readonly_fields = ("two_factor_exempt",)
    raw_id_fields = ("user",)


@admin.register(Invitation, site=site)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "organisation", "created_at", "expires_at", "accepted_at",
                    "revoked_at")
    list_filter = ("organisation__country",)
    search_fields = ("email", "organisation__name")
    exclude = ("token_hash",)
    list_select_related = ("organisation",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(get_user_model(), site=site)
class StaffUserAdmin(UserAdmin):
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _audit(request, obj, form, change)
