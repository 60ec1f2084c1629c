"""Who administers what: the rules of organisation and platform administration.

Pure Python over plain values (no Django), tested as a table in tests/orgs/test_rules.py.
The services in :mod:`careweave.orgs.services` ask these before any write.

- An **organisation administrator** (role ``org_admin``) manages the staff of the
  organisation they act for: invites people, sets their roles there, deactivates them.
  They may grant any staff role there, ``org_admin`` included (they are one), but never
  the platform roles (``platform_admin``, ``platform_reviewer``), and nothing in another
  organisation. They never see a person's
  record: the access policy refuses every role outside its care roles.
- A **platform administrator** (a superuser, or role ``platform_admin``) creates and
  deactivates organisations and areas, and may invite staff with any role into any
  active organisation (for example the first administrator of a new organisation).
- Nobody may remove their own last way of administering an organisation: an
  organisation administrator who is its only one cannot drop their own ``org_admin``
  role (they would lock everyone out until a platform administrator stepped in).
"""

from __future__ import annotations

ORG_ADMIN = "org_admin"
PLATFORM_ADMIN = "platform_admin"
PLATFORM_REVIEWER = "platform_reviewer"

# Roles that manage an organisation's staff (the organisation they act for).
STAFF_ADMIN_ROLES = frozenset({ORG_ADMIN})
# Roles that only a platform administrator may grant: they reach beyond one organisation
# (administering the platform; reviewing emergency access where nobody else does).
PLATFORM_ONLY_ROLES = frozenset({PLATFORM_ADMIN, PLATFORM_REVIEWER})


def is_platform_admin(role: str, *, is_superuser: bool) -> bool:
    return bool(is_superuser) or role == PLATFORM_ADMIN


def administers_staff(role: str) -> bool:
    """May this acting role manage the staff of its own organisation?"""
    return role in STAFF_ADMIN_ROLES


def grantable_roles(all_roles: frozenset[str], *, actor_role: str,
                    platform_admin: bool) -> frozenset[str]:
    """The roles an actor may give to someone (in the organisations they may administer)."""
    if platform_admin:
        return frozenset(all_roles)
    if not administers_staff(actor_role):
        return frozenset()
    grantable = set(all_roles) - PLATFORM_ONLY_ROLES
    if actor_role != ORG_ADMIN:  # only an organisation administrator makes another
        grantable.discard(ORG_ADMIN)
    return frozenset(grantable)


def may_drop_own_admin(*, other_active_admins: int) -> bool:
    """May an organisation administrator give up their own ``org_admin`` membership?"""
    return other_active_admins > 0


# Area kinds by country: UK local authorities and regions; Swedish kommuner, län and
# regioner.
AREA_KINDS_BY_COUNTRY: dict[str, frozenset[str]] = {
    "GB": frozenset({"local_authority", "region"}),
    "SE": frozenset({"kommun", "lan", "region"}),
}


def area_kind_fits(kind: str, country: str) -> bool:
    return kind in AREA_KINDS_BY_COUNTRY.get(country, frozenset())
