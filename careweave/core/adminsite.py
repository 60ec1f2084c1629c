"""Django's admin, for superusers only, behind the same sign-in and two-factor
authentication as every other page (careweave/urls.py mounts it under /admin/ with
:func:`careweave.core.routes.superuser_required` on every one of its views).

Only configuration is registered here (areas, organisations, staff and their memberships:
``careweave/orgs/admin.py``), never personal data about the people cared for (person,
identifiers, network, care team, consent, audit log): those are changed through the
services, which ask the gate and write the audit log, and nowhere else.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from careweave.core.routes import needs_second_factor


class CareweaveAdminSite(admin.AdminSite):
    site_header = _("Careweave administration")
    site_title = _("Careweave administration")
    index_title = _("Organisations, areas and staff")
    site_url = "/"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser and not needs_second_factor(request))

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """No second sign-in form: Careweave's own (lockout, two-factor) is the only one."""
        if self.has_permission(request):
            return redirect("admin:index")
        return redirect_to_login(request.get_full_path(), "web:login")


site = CareweaveAdminSite(name="admin")
