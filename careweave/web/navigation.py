"""The header menu and the landing page, by the role the user acts in.

Each role sees only what it may use, and lands after signing in on the page it works from:

======================  =====================================================  ==============
Acting as               Menu                                                   Lands on
======================  =====================================================  ==============
care roles              My caseload, Add a person, Emergency access (roles     the caseload
                        that may break the glass)
privacy lead            Audit log, Emergency access report                     the audit log
platform reviewer       Emergency access report                                the report
analyst                 Insights                                               insights
organisation admin      Staff                                                  staff
platform admin (or a    Organisations                                          organisations
superuser)
======================  =====================================================  ==============

The pages themselves refuse other roles (a 404); the menu only leaves out what would be
refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from careweave.access.policy import CARE_ROLES, may_break_glass
from careweave.access.services import PLATFORM_REVIEWER
from careweave.core.context import Actor
from careweave.orgs.services import administers_staff, is_platform_admin


@dataclass(frozen=True)
class MenuItem:
    url_name: str
    label: Any  # a lazy translation

    @property
    def url(self) -> str:
        return reverse(self.url_name)


CASELOAD = MenuItem("people:caseload", _("My caseload"))
ADD_PERSON = MenuItem("people:person_create", _("Add a person"))
BREAK_GLASS = MenuItem("access:break_glass", _("Emergency access"))
ASSESSMENTS = MenuItem("assessments:team", _("Assessments to follow up"))
AUDIT_LOG = MenuItem("audit:audit_log", _("Audit log"))
BREAK_GLASS_REPORT = MenuItem("audit:break_glass_report", _("Emergency access report"))
INSIGHTS = MenuItem("insights:home", _("Insights"))
STAFF = MenuItem("orgs:staff_list", _("Staff"))
ORGANISATIONS = MenuItem("orgs:organisation_list", _("Organisations"))


def menu_for(actor: Actor | None) -> list[MenuItem]:
    if actor is None or actor.membership is None:
        return []
    role = actor.role
    items: list[MenuItem] = []
    if role in CARE_ROLES:
        items += [CASELOAD, ADD_PERSON, ASSESSMENTS]
        if may_break_glass(role):
            items.append(BREAK_GLASS)
    if role == "privacy_lead":
        items += [AUDIT_LOG, BREAK_GLASS_REPORT]
    if role == PLATFORM_REVIEWER:
        items.append(BREAK_GLASS_REPORT)
    if role == "analyst":
        items.append(INSIGHTS)
    if administers_staff(actor):
        items.append(STAFF)
    if is_platform_admin(actor):
        items.append(ORGANISATIONS)
    return items


def landing_url(actor: Actor | None) -> str:
    """Where the actor starts: the first page of their menu. Without a membership (not
    chosen yet) the caseload, whose route marker sends them to choose one; a role with no
    pages at all gets the chooser, which says who they act as."""
    if actor is None or actor.membership is None:
        return reverse("people:caseload")
    items = menu_for(actor)
    if not items:
        return reverse("web:choose_membership")
    return items[0].url
