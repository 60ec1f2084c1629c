"""The rules of administration as a table (careweave.orgs.rules: pure, no Django)."""

from __future__ import annotations

import pytest

from careweave.orgs import rules

ALL = frozenset({"clinician", "nurse", "social_worker", "care_worker", "coordinator",
                 "privacy_lead", "analyst", "admin", "org_admin", "platform_admin",
                 "platform_reviewer"})
STAFF_ROLES = ALL - {"platform_admin", "platform_reviewer"}


@pytest.mark.parametrize(("role", "superuser", "expected"), [
    ("platform_admin", False, True),
    ("admin", True, True),  # a superuser, whatever they act as
    ("clinician", True, True),
    ("admin", False, False),
    ("org_admin", False, False),
    ("privacy_lead", False, False),
    ("", False, False),
])
def test_who_is_a_platform_admin(role: str, superuser: bool, expected: bool) -> None:
    assert rules.is_platform_admin(role, is_superuser=superuser) is expected


@pytest.mark.parametrize(("role", "expected"), [
    ("org_admin", True),
    ("platform_admin", False),  # administers organisations, not one organisation's staff
    ("admin", False), ("privacy_lead", False), ("clinician", False), ("analyst", False),
    ("", False),
])
def test_who_administers_staff(role: str, expected: bool) -> None:
    assert rules.administers_staff(role) is expected


@pytest.mark.parametrize(("role", "platform", "expected"), [
    ("org_admin", False, STAFF_ROLES),  # org_admin included: they are one
    ("org_admin", True, ALL),
    ("platform_admin", True, ALL),
    ("clinician", False, frozenset()),
    ("privacy_lead", False, frozenset()),
    ("admin", False, frozenset()),
    ("analyst", False, frozenset()),
])
def test_grantable_roles(role: str, platform: bool, expected: frozenset[str]) -> None:
    assert rules.grantable_roles(ALL, actor_role=role, platform_admin=platform) == expected


def test_nobody_but_a_platform_admin_grants_the_platform_roles() -> None:
    for role in ALL:
        granted = rules.grantable_roles(ALL, actor_role=role, platform_admin=False)
        assert not {"platform_admin", "platform_reviewer"} & granted, role


@pytest.mark.parametrize(("others", "expected"), [(0, False), (1, True), (5, True)])
def test_the_last_org_admin_keeps_their_role(others: int, expected: bool) -> None:
    assert rules.may_drop_own_admin(other_active_admins=others) is expected


@pytest.mark.parametrize(("kind", "country", "expected"), [
    ("local_authority", "GB", True), ("region", "GB", True), ("kommun", "GB", False),
    ("lan", "GB", False), ("kommun", "SE", True), ("lan", "SE", True), ("region", "SE", True),
    ("local_authority", "SE", False), ("kommun", "XX", False),
])
def test_area_kinds_by_country(kind: str, country: str, expected: bool) -> None:
    assert rules.area_kind_fits(kind, country) is expected
