"""Writes of organisation and platform administration: invitations, staff roles,
organisations and areas.

Every function is keyword-only with ``actor`` first (except accepting an invitation, which
an invitee does before they have an account), runs in one ``careweave.core.db.atomic()``
block, asks :mod:`careweave.orgs.rules` first and writes its audit event inside that block
(through :mod:`careweave.core.auditing`, which is ``audit_record``). A refusal is a 404
(:func:`careweave.core.auditing.refuse`), audited once after the rollback; bad input is a
:class:`~careweave.core.errors.ValidationFailed` with every error at once, and nothing is
written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import smtplib
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from careweave.core import auditing
from careweave.core.context import Actor
from careweave.core.db import atomic
from careweave.core.errors import DuplicateRecord, NotPermitted, ServiceError, ValidationFailed
from careweave.core.text import has_visible_text
from careweave.orgs import rules
from careweave.orgs.models import Area, Country, Invitation, Membership, Organisation, Role, StaffProfile

TOKEN_PREFIX = "cwi_"
MAX_INVITATION_DAYS = 30
ALL_ROLES = frozenset(Role.values)

# Basis codes of refusals (recorded as the denied event's legal basis).
NOT_ORG_ADMIN = "not-an-organisation-administrator"
NOT_PLATFORM_ADMIN = "not-a-platform-administrator"
NOT_IN_ORGANISATION = "not-in-your-organisation"
NO_SUCH_ORGANISATION = "no-such-organisation"


class DeliveryFailed(ServiceError):
    """The invitation e-mail could not be handed to the mail server (nothing was saved)."""

    status = 503
    title = gettext_noop("Could not send the email")


class InvitationUnusable(ServiceError):
    """The link is unknown (404), or was used, cancelled or has expired (410)."""

    title = gettext_noop("The invitation cannot be used")

    def __init__(self, message: str, *, status: int, reason: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


# -- who may ---------------------------------------------------------------------------------


def is_platform_admin(actor: Actor | None) -> bool:
    if actor is None or actor.membership is None:
        return False
    return rules.is_platform_admin(actor.role,
                                   is_superuser=bool(getattr(actor.user, "is_superuser", False)))


def administers_staff(actor: Actor | None) -> bool:
    return actor is not None and actor.membership is not None and \
        rules.administers_staff(actor.role)


def may_invite(actor: Actor | None) -> bool:
    return administers_staff(actor) or is_platform_admin(actor)


def grantable_roles(actor: Actor) -> frozenset[str]:
    return rules.grantable_roles(ALL_ROLES, actor_role=actor.role,
                                 platform_admin=is_platform_admin(actor))


def staff_organisation(actor: Actor, *, action: str, object_type: str,
                        object_id: str = "") -> Organisation:
    """The organisation whose staff the actor administers (the one they act for)."""
    if not administers_staff(actor):
        auditing.refuse(actor, action=action, object_type=object_type, basis=NOT_ORG_ADMIN,
                        object_id=object_id)
    assert actor.membership is not None
    return actor.membership.organisation


def require_platform_admin(actor: Actor, *, action: str, object_type: str,
                            object_id: str = "") -> None:
    if not is_platform_admin(actor):
        auditing.refuse(actor, action=action, object_type=object_type,
                        basis=NOT_PLATFORM_ADMIN, object_id=object_id)


def _inviting_organisation(actor: Actor, organisation_id: uuid.UUID | str | None) -> Organisation:
    """An organisation administrator invites into their own organisation; a platform
    administrator into any active one."""
    own = actor.organisation_id
    if organisation_id in (None, "") or str(organisation_id) == str(own):
        if administers_staff(actor) or is_platform_admin(actor):
            assert actor.membership is not None
            return actor.membership.organisation
        auditing.refuse(actor, action="create", object_type="Invitation", basis=NOT_ORG_ADMIN)
    if not is_platform_admin(actor):
        auditing.refuse(actor, action="create", object_type="Invitation",
                        basis=NOT_IN_ORGANISATION, object_id=str(organisation_id))
    org = _organisation_or_none(organisation_id)
    if org is None or not org.is_active:
        auditing.refuse(actor, action="create", object_type="Invitation",
                        basis=NO_SUCH_ORGANISATION, object_id=str(organisation_id)[:64])
    return org


def _organisation_or_none(organisation_id: Any) -> Organisation | None:
    try:
        pk = organisation_id if isinstance(organisation_id, uuid.UUID) else \
            uuid.UUID(str(organisation_id))
    except (ValueError, AttributeError):
        return None
    return Organisation.objects.select_related("area").filter(pk=pk).first()


# -- input -----------------------------------------------------------------------------------


def clean_text(errors: dict[str, list[str]], name: str, value: Any, *, limit: int,
               required: bool = True) -> str:
    """Text as stored (NFC, whitespace collapsed), or an error on ``name``."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.setdefault(name, []).append(_("Enter text."))
        return ""
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if "\x00" in text:
        errors.setdefault(name, []).append(_("Remove the invalid character."))
    elif "\ufffd" in text:
        errors.setdefault(name, []).append(
            _("Some characters could not be read. Type the text again."))
    elif len(text) > limit:
        errors.setdefault(name, []).append(
            _("Must be %(limit)d characters or fewer.") % {"limit": limit})
    elif required and not has_visible_text(text):
        errors.setdefault(name, []).append(_("This is required."))
    else:
        return text
    return ""


def clean_email(errors: dict[str, list[str]], value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        errors.setdefault("email", []).append(_("Enter an email address."))
        return ""
    email = BaseUserManager.normalize_email(unicodedata.normalize("NFC", value.strip()))
    if len(email) > 254:
        errors.setdefault("email", []).append(
            _("Must be %(limit)d characters or fewer.") % {"limit": 254})
        return ""
    try:
        validate_email(email)
    except ValidationError:
        errors.setdefault("email", []).append(
            _("Enter an email address in the correct format, like name@example.org."))
        return ""
    return email


def clean_roles(errors: dict[str, list[str]], roles: Any, *, allow_empty: bool) -> list[str]:
    if isinstance(roles, str) or not isinstance(roles, Iterable):
        errors.setdefault("roles", []).append(_("Choose at least one role."))
        return []
    chosen: list[str] = []
    for role in roles:
        if not isinstance(role, str) or role not in ALL_ROLES:
            errors.setdefault("roles", []).append(_("Choose roles from the list."))
            return []
        if role not in chosen:
            chosen.append(role)
    if not chosen and not allow_empty:
        errors.setdefault("roles", []).append(_("Choose at least one role."))
    return sorted(chosen)


def _check_grantable(actor: Actor, roles: Iterable[str]) -> None:
    refused = sorted(set(roles) - grantable_roles(actor))
    if refused:
        labels = ", ".join(str(Role(r).label) for r in refused)
        raise NotPermitted(
            _("You cannot give or take away these roles: %(roles)s.") % {"roles": labels})


def _role_labels(roles: Iterable[str]) -> str:
    return ", ".join(str(Role(r).label) for r in roles)


def _lock(qs: QuerySet[Any]) -> QuerySet[Any]:
    """Lock the rows on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers."""
    if connection.vendor == "postgresql":
        # Only the rows themselves: PostgreSQL cannot lock the nullable side of the joins
        # that select_related makes (an organisation's area, an inviter's membership).
        return qs.select_for_update(of=("self",))
    return qs


# -- invitations -----------------------------------------------------------------------------


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def invitation_days() -> int:
    return int(settings.CAREWEAVE.get("INVITATION_DAYS", 7))


def _send_invitation(invitation: Invitation, link: str, inviter: Any) -> None:
    org = invitation.organisation
    language = "sv" if org.country == Country.SE else "en"
    with translation.override(language):
        context = {
            "organisation": org.name,
            "roles": _role_labels(invitation.roles),
            "link": link,
            "expires_at": timezone.localtime(invitation.expires_at),
            "inviter": (inviter.get_full_name() or inviter.get_username()) if inviter else "",
        }
        subject = _("Your invitation to join %(organisation)s in Careweave") % {
            "organisation": org.name}
        body = render_to_string("orgs/email/invitation.txt", context)
    try:
        send_mail(" ".join(subject.split()), body, None, [invitation.email],
                  fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(_("The invitation email could not be sent, so no invitation was "
                               "made. Try again later.")) from exc


def invitation_create(
    *,
    actor: Actor,
    email: Any,
    roles: Any,
    link_for: Callable[[str], str],
    organisation_id: uuid.UUID | str | None = None,
    days: int | None = None,
) -> Invitation:
    """Invite someone by e-mail to join an organisation with ``roles``.

    ``link_for(token)`` makes the absolute link for the e-mail. The token is returned to
    nobody: it is in the e-mail only, and only its hash is stored. An earlier invitation
    still pending for the same address and organisation is cancelled (the newest link is
    the one that works)."""
    with atomic():
        org = _inviting_organisation(actor, organisation_id)
        errors: dict[str, list[str]] = {}
        address = clean_email(errors, email)
        chosen = clean_roles(errors, roles, allow_empty=False)
        if days is None:
            days = invitation_days()
        if not isinstance(days, int) or isinstance(days, bool) or \
                not 1 <= days <= MAX_INVITATION_DAYS:
            errors.setdefault("days", []).append(
                _("Enter a whole number of days from 1 to %(max)d.") % {"max": MAX_INVITATION_DAYS})
        if errors:
            raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
        _check_grantable(actor, chosen)
        User = get_user_model()
        holders = Membership.objects.filter(
            organisation=org, is_active=True, role__in=chosen,
            user__in=User._default_manager.filter(email__iexact=address, is_active=True))
        held = set(holders.values_list("role", flat=True))
        if held >= set(chosen):
            raise ValidationFailed(
                _("Someone with this email address already has these roles here."),
                errors={"email": [_("Someone with this email address already has these "
                                    "roles here.")]})
        now = timezone.now()
        superseded = list(_lock(Invitation.objects.filter(
            organisation=org, email__iexact=address, accepted_at__isnull=True,
            revoked_at__isnull=True, expires_at__gt=now)).values_list("pk", flat=True))
        if superseded:
            Invitation.objects.filter(pk__in=superseded).update(revoked_at=now)
            for pk in superseded:
                auditing.record(actor=actor, action="update", object_type="Invitation",
                                object_id=str(pk), detail={"revoked": "superseded"})
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            organisation=org, email=address, roles=chosen, token_hash=hash_token(raw),
            invited_by=actor.user,  # type: ignore[misc]
            invited_by_membership=actor.membership,
            expires_at=now + dt.timedelta(days=days),
        )
        auditing.record(actor=actor, action="create", object_type="Invitation",
                        object_id=str(invitation.pk),
                        detail={"organisation": str(org.pk), "email": address,
                                "roles": chosen, "expires_at": invitation.expires_at.isoformat()})
        # Last, so that a mail server that refuses the message undoes everything above.
        _send_invitation(invitation, link_for(raw), actor.user)
    return invitation


def invitation_revoke(*, actor: Actor, invitation_id: uuid.UUID | str) -> Invitation:
    with atomic():
        invitation = _invitation_for(actor, invitation_id, action="update")
        if not invitation.is_pending(timezone.now()):
            raise ValidationFailed(_("This invitation is no longer waiting to be accepted."))
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        auditing.record(actor=actor, action="update", object_type="Invitation",
                        object_id=str(invitation.pk), detail={"revoked": "by-administrator"})
    return invitation


def _invitation_for(actor: Actor, invitation_id: uuid.UUID | str, *, action: str) -> Invitation:
    """An invitation of the organisation the actor administers (a platform administrator:
    any), locked; anything else is the same 404 as an unknown id."""
    try:
        pk = invitation_id if isinstance(invitation_id, uuid.UUID) else \
            uuid.UUID(str(invitation_id))
    except (ValueError, AttributeError):
        auditing.refuse(actor, action=action, object_type="Invitation", basis="not-found",
                        object_id=str(invitation_id)[:64])
    qs = _lock(Invitation.objects.select_related("organisation")).filter(pk=pk)
    if not is_platform_admin(actor):
        org = staff_organisation(actor, action=action, object_type="Invitation",
                                  object_id=str(pk))
        qs = qs.filter(organisation=org)
    invitation = qs.first()
    if invitation is None:
        auditing.refuse(actor, action=action, object_type="Invitation", basis="not-found",
                        object_id=str(pk))
    return invitation


def invitation_by_token(raw: Any) -> Invitation | None:
    if not isinstance(raw, str) or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    return (Invitation.objects.select_related("organisation", "invited_by_membership")
            .filter(token_hash=hash_token(raw)).first())


def invitation_problem(invitation: Invitation | None, now: dt.datetime | None = None) -> \
        InvitationUnusable | None:
    """Why this invitation cannot be used now (None: it can)."""
    now = now or timezone.now()
    if invitation is None:
        return InvitationUnusable(
            _("This invitation link is not valid. Check you copied the whole link from the "
              "email."), status=404, reason="unknown")
    if invitation.accepted_at is not None:
        return InvitationUnusable(
            _("This invitation has already been used. Sign in with the account you made, or "
              "ask your organisation administrator for a new invitation."),
            status=410, reason="used")
    if invitation.revoked_at is not None:
        return InvitationUnusable(
            _("This invitation has been cancelled. Ask your organisation administrator for a "
              "new one."), status=410, reason="cancelled")
    if invitation.expires_at <= now:
        return InvitationUnusable(
            _("This invitation has expired. Ask your organisation administrator for a new "
              "one."), status=410, reason="expired")
    if not invitation.organisation.is_active or not _inviter_still_may(invitation):
        return InvitationUnusable(
            _("This invitation is no longer valid. Ask your organisation administrator for "
              "a new one."), status=410, reason="void")
    return None


def _inviter_still_may(invitation: Invitation) -> bool:
    """The invitation stands while the membership that sent it still may send it (an
    administrator who is deactivated takes their pending invitations with them)."""
    inviter = invitation.invited_by_membership
    if inviter is None:
        return False
    user = get_user_model()._default_manager.filter(pk=inviter.user_id, is_active=True).first()
    if user is None or not inviter.is_active:
        return False
    actor = Actor(user=user, membership=inviter)
    if not may_invite(actor):
        return False
    if actor.organisation_id != invitation.organisation_id and not is_platform_admin(actor):
        return False
    return set(invitation.roles) <= grantable_roles(actor)


def existing_account(invitation: Invitation) -> Any | None:
    """The active account that already uses the invitation's address, if there is one."""
    User = get_user_model()
    return User._default_manager.filter(email__iexact=invitation.email, is_active=True) \
        .order_by("pk").first()


def clean_username(errors: dict[str, list[str]], value: Any) -> str:
    User = get_user_model()
    if not isinstance(value, str) or not value.strip():
        errors.setdefault("username", []).append(_("Choose a username."))
        return ""
    username = User.normalize_username(value.strip())
    if len(username) > 150:
        errors.setdefault("username", []).append(
            _("Must be %(limit)d characters or fewer.") % {"limit": 150})
        return ""
    if not re.fullmatch(r"[\w.@+-]+", username):
        errors.setdefault("username", []).append(
            _("Use only letters, numbers and the characters . @ + - _ in your username."))
        return ""
    if User._default_manager.filter(username__iexact=username).exists():
        errors.setdefault("username", []).append(
            _("That username is already taken. Choose another."))
        return ""
    return username


def invitation_accept(
    *,
    token: Any,
    user: Any = None,
    username: Any = "",
    password: Any = "",
    first_name: Any = "",
    last_name: Any = "",
) -> Any:
    """Use an invitation: a new account (username, names, password) gets the memberships,
    or ``user``, the signed-in owner of the invited address, does. One use only: of two
    accepts at the same moment exactly one wins (the row is locked on PostgreSQL, SQLite
    serialises writers, and the acceptance is a conditional update either way)."""
    User = get_user_model()
    with atomic():
        found = invitation_by_token(token)
        invitation = None
        if found is not None:
            invitation = _lock(Invitation.objects.select_related(
                "organisation", "invited_by_membership")).get(pk=found.pk)
        problem = invitation_problem(invitation)
        if problem is not None:
            raise problem
        assert invitation is not None
        now = timezone.now()
        new_user = user is None
        if user is not None:
            if not user.is_active or \
                    str(user.email).casefold() != invitation.email.casefold():
                raise ValidationFailed(_("This invitation is for a different email address. "
                                         "Sign out, then open the link again."))
        elif existing_account(invitation) is not None:
            raise ValidationFailed(_("You already have a Careweave account. Sign in, then "
                                     "open the link in your email again."))
        else:
            user = _new_account(invitation, username=username, password=password,
                                first_name=first_name, last_name=last_name)
        taken = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True,
                                          revoked_at__isnull=True) \
            .update(accepted_at=now, accepted_by=user)
        if taken != 1:  # somebody else used it a moment ago
            raise InvitationUnusable(_("This invitation has already been used."), status=410,
                                     reason="used")
        org = invitation.organisation
        rows = {m.role: m for m in _lock(Membership.objects.filter(user=user, organisation=org))}
        before = sorted(r for r, m in rows.items() if m.is_active)
        for role in invitation.roles:
            membership = rows.get(role)
            if membership is None:
                rows[role] = Membership.objects.create(user=user, organisation=org, role=role)
            elif not membership.is_active:
                membership.is_active = True
                membership.save(update_fields=["is_active"])
        after = sorted(r for r, m in rows.items() if m.is_active)
        acting = Actor(user=user, membership=rows[invitation.roles[0]])
        auditing.record(actor=acting, action="update", object_type="Invitation",
                        object_id=str(invitation.pk),
                        detail={"accepted": True, "new_account": new_user})
        auditing.record(actor=acting, action="create", object_type="Membership",
                        object_id=str(user.pk),
                        detail={"organisation": str(org.pk), "user": user.get_username(),
                                "before": before, "after": after, "via": "invitation"})
    return User._default_manager.get(pk=user.pk)


def _new_account(invitation: Invitation, *, username: Any, password: Any, first_name: Any,
                 last_name: Any) -> Any:
    User = get_user_model()
    errors: dict[str, list[str]] = {}
    given = clean_text(errors, "first_name", first_name, limit=150)
    family = clean_text(errors, "last_name", last_name, limit=150)
    name = clean_username(errors, username)
    if not isinstance(password, str) or not password:
        errors.setdefault("password", []).append(_("Choose a password."))
    elif len(password) > 200:
        errors.setdefault("password", []).append(
            _("Must be %(limit)d characters or fewer.") % {"limit": 200})
    else:
        candidate = User(username=name, email=invitation.email, first_name=given,
                         last_name=family)
        try:
            password_validation.validate_password(password, user=candidate)
        except ValidationError as exc:
            errors.setdefault("password", []).extend(str(m) for m in exc.messages)
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    user = User(username=name, email=invitation.email, first_name=given, last_name=family)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # the same username, chosen a moment ago by someone else
        raise ValidationFailed(_("Check the highlighted fields."), errors={
            "username": [_("That username is already taken. Choose another.")]}) from None
    StaffProfile.objects.create(user=user, two_factor_exempt=False,
                                preferred_language=translation.get_language() or "")
    return user


# -- staff roles -----------------------------------------------------------------------------


def staff_set_roles(*, actor: Actor, user_id: Any, roles: Any) -> list[Membership]:
    """Make ``roles`` exactly the staff member's active roles in the actor's organisation:
    new roles are added (or a deactivated membership reactivated), others deactivated.
    No roles at all deactivates the staff member there. Their sessions and API tokens
    through a deactivated membership stop working at the next request."""
    with atomic():
        org = staff_organisation(actor, action="update", object_type="Membership",
                                  object_id=str(user_id)[:64])
        rows = _staff_rows(actor, org, user_id)
        errors: dict[str, list[str]] = {}
        chosen = clean_roles(errors, roles, allow_empty=True)
        if errors:
            raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
        member = rows[0].user
        before = sorted(m.role for m in rows if m.is_active)
        added, removed = set(chosen) - set(before), set(before) - set(chosen)
        _check_grantable(actor, added | removed)
        if member.pk == actor.user.pk and rules.ORG_ADMIN in removed:
            others = Membership.objects.filter(
                organisation=org, role=rules.ORG_ADMIN, is_active=True,
                user__is_active=True).exclude(user_id=member.pk).count()
            if not rules.may_drop_own_admin(other_active_admins=others):
                message = _("You are the only organisation administrator of %(organisation)s, "
                            "so you cannot remove your own administrator role or deactivate "
                            "yourself. Make someone else an organisation administrator "
                            "first.") % {"organisation": org.name}
                raise ValidationFailed(message, errors={"roles": [message]})
        by_role = {m.role: m for m in rows}
        for role in sorted(added):
            if role in by_role:
                by_role[role].is_active = True
                by_role[role].save(update_fields=["is_active"])
            else:
                by_role[role] = Membership.objects.create(user=member, organisation=org,
                                                          role=role)
        for role in sorted(removed):
            by_role[role].is_active = False
            by_role[role].save(update_fields=["is_active"])
            # Its API tokens end for good: reactivating the role later does not bring them
            # back (the access app owns tokens; this is the reverse relation to them).
            by_role[role].tokens.filter(revoked_at__isnull=True).update(
                revoked_at=timezone.now())
        if added or removed:
            auditing.record(actor=actor, action="update", object_type="Membership",
                            object_id=str(member.pk),
                            detail={"organisation": str(org.pk), "user": member.get_username(),
                                    "before": before, "after": chosen})
    return sorted(by_role.values(), key=lambda m: m.role)


def staff_deactivate(*, actor: Actor, user_id: Any) -> list[Membership]:
    """Deactivate every membership the staff member has in the actor's organisation."""
    return staff_set_roles(actor=actor, user_id=user_id, roles=[])


def _staff_rows(actor: Actor, org: Organisation, user_id: Any) -> list[Membership]:
    """The staff member's memberships in ``org`` (locked), or the same 404 as for someone
    who does not exist."""
    try:
        pk = int(str(user_id))
    except ValueError:
        pk = None
    rows = [] if pk is None or not 0 < pk < 2**63 else list(
        _lock(Membership.objects.select_related("user").filter(organisation=org, user_id=pk))
        .order_by("role"))
    if not rows:
        auditing.refuse(actor, action="update", object_type="Membership",
                        basis=NOT_IN_ORGANISATION, object_id=str(user_id)[:64])
    return rows


# -- organisations and areas (platform administrators) ---------------------------------------


def _clean_code(errors: dict[str, list[str]], name: str, value: Any, *, limit: int,
                required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.setdefault(name, []).append(_("Enter text."))
        return ""
    code = "".join(value.split()).upper()
    if not code:
        if required:
            errors.setdefault(name, []).append(_("This is required."))
        return ""
    if len(code) > limit:
        errors.setdefault(name, []).append(
            _("Must be %(limit)d characters or fewer.") % {"limit": limit})
        return ""
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9-]*", code):
        errors.setdefault(name, []).append(
            _("Use only letters A to Z, numbers and hyphens."))
        return ""
    return code


def _clean_choice(errors: dict[str, list[str]], name: str, value: Any,
                  choices: Iterable[str]) -> str:
    if not isinstance(value, str) or value not in set(choices):
        errors.setdefault(name, []).append(_("Choose an option from the list."))
        return ""
    return value


def organisation_create(
    *, actor: Actor, name: Any, kind: Any, country: Any, area_code: Any = "", code: Any = "",
) -> Organisation:
    with atomic():
        require_platform_admin(actor, action="create", object_type="Organisation")
        errors: dict[str, list[str]] = {}
        clean_name = clean_text(errors, "name", name, limit=200)
        clean_kind = _clean_choice(errors, "kind", kind, Organisation.Kind.values)
        clean_country = _clean_choice(errors, "country",
                                      country.upper() if isinstance(country, str) else country,
                                      Country.values)
        clean_org_code = _clean_code(errors, "code", code, limit=40, required=False)
        area = None
        area_value = _clean_code(errors, "area", area_code, limit=20, required=False)
        if area_value:
            area = Area.objects.filter(code=area_value, is_active=True).first()
            if area is None:
                errors.setdefault("area", []).append(_("Choose an option from the list."))
            elif clean_country and area.country != clean_country:
                errors.setdefault("area", []).append(
                    _("Choose an area in the same country as the organisation."))
        if errors:
            raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
        if clean_org_code and Organisation.objects.filter(country=clean_country,
                                                          code=clean_org_code).exists():
            raise _duplicate_org_code()
        org = Organisation(name=clean_name, kind=clean_kind, country=clean_country, area=area,
                           code=clean_org_code)
        try:
            with transaction.atomic():
                org.save(force_insert=True)
        except IntegrityError:  # the same code, saved a moment ago by someone else
            raise _duplicate_org_code() from None
        auditing.record(actor=actor, action="create", object_type="Organisation",
                        object_id=str(org.pk),
                        detail={"name": org.name, "kind": org.kind, "country": org.country,
                                "area": area.code if area else "", "code": org.code})
    return org


def _duplicate_org_code() -> DuplicateRecord:
    message = _("Another organisation in this country already has this code.")
    return DuplicateRecord(message, errors={"code": [message]})


def organisation_set_active(*, actor: Actor, organisation_id: Any, active: bool) -> Organisation:
    """Deactivate (or reactivate) an organisation. Its staff's sessions and API tokens stop
    working at the next request; nothing about it is deleted."""
    action_object = str(organisation_id)[:64]
    with atomic():
        require_platform_admin(actor, action="update", object_type="Organisation",
                                object_id=action_object)
        found = _organisation_or_none(organisation_id)
        if found is None:
            auditing.refuse(actor, action="update", object_type="Organisation",
                            basis="not-found", object_id=action_object)
        org = _lock(Organisation.objects.select_related("area")).get(pk=found.pk)
        if not active and org.pk == actor.organisation_id:
            raise ValidationFailed(_("You cannot deactivate the organisation you are acting "
                                     "for. Act for another organisation first."))
        if org.is_active != active:
            org.is_active = active
            org.save(update_fields=["is_active"])
            auditing.record(actor=actor, action="update", object_type="Organisation",
                            object_id=str(org.pk),
                            detail={"before": {"is_active": not active},
                                    "after": {"is_active": active}})
    return org


def area_create(
    *, actor: Actor, code: Any, name: Any, kind: Any, country: Any, parent_code: Any = "",
) -> Area:
    with atomic():
        require_platform_admin(actor, action="create", object_type="Area")
        errors: dict[str, list[str]] = {}
        clean_area_code = _clean_code(errors, "code", code, limit=20, required=True)
        clean_name = clean_text(errors, "name", name, limit=200)
        clean_country = _clean_choice(errors, "country",
                                      country.upper() if isinstance(country, str) else country,
                                      Country.values)
        clean_kind = _clean_choice(errors, "kind", kind, Area.Kind.values)
        if clean_kind and clean_country and not rules.area_kind_fits(clean_kind, clean_country):
            errors.setdefault("kind", []).append(
                _("This kind of area does not exist in that country."))
        parent = None
        parent_value = _clean_code(errors, "parent", parent_code, limit=20, required=False)
        if parent_value:
            parent = Area.objects.filter(code=parent_value, is_active=True).first()
            if parent is None:
                errors.setdefault("parent", []).append(_("Choose an option from the list."))
            elif clean_country and parent.country != clean_country:
                errors.setdefault("parent", []).append(
                    _("Choose an area in the same country."))
        if errors:
            raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
        if Area.objects.filter(code=clean_area_code).exists():
            raise _duplicate_area_code()
        area = Area(code=clean_area_code, name=clean_name, kind=clean_kind,
                    country=clean_country, parent=parent)
        try:
            with transaction.atomic():
                area.save(force_insert=True)
        except IntegrityError:
            raise _duplicate_area_code() from None
        auditing.record(actor=actor, action="create", object_type="Area", object_id=str(area.pk),
                        detail={"code": area.code, "name": area.name, "kind": area.kind,
                                "country": area.country,
                                "parent": parent.code if parent else ""})
    return area


def _duplicate_area_code() -> DuplicateRecord:
    message = _("Another area already has this code.")
    return DuplicateRecord(message, errors={"code": [message]})


def area_set_active(*, actor: Actor, area_id: Any, active: bool) -> Area:
    """Deactivate (or reactivate) an area: a deactivated area is no longer offered for new
    organisations and areas. One that still has active organisations or areas in it
    cannot be deactivated."""
    object_id = str(area_id)[:64]
    with atomic():
        require_platform_admin(actor, action="update", object_type="Area", object_id=object_id)
        try:
            pk = uuid.UUID(str(area_id))
        except ValueError:
            pk = None
        area = _lock(Area.objects.all()).filter(pk=pk).first() if pk else None
        if area is None:
            auditing.refuse(actor, action="update", object_type="Area", basis="not-found",
                            object_id=object_id)
        if not active:
            in_use = Organisation.objects.filter(area=area, is_active=True).count() + \
                Area.objects.filter(parent=area, is_active=True).count()
            if in_use:
                raise ValidationFailed(_("Active organisations or areas are still in this area. "
                                         "Deactivate or move them first."))
        if area.is_active != active:
            area.is_active = active
            area.save(update_fields=["is_active"])
            auditing.record(actor=actor, action="update", object_type="Area",
                            object_id=str(area.pk),
                            detail={"before": {"is_active": not active},
                                    "after": {"is_active": active}})
    return area
