"""Writes to the person record. Keyword-only, actor first, one transaction, audit inside."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from careweave.access import policy, sharing
from careweave.access.gate import Action, decide, people_visible_to, require
from careweave.access.models import CareTeamMember, Sharing
from careweave.access.services import lookup_refused
from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_after_rollback, audit_record
from careweave.core import dates
from careweave.core.context import Actor
from careweave.core.db import atomic
from careweave.core.errors import DuplicateRecord, NotPermitted, StaleVersion, ValidationFailed
from careweave.core.text import has_visible_text
from careweave.orgs.models import Area, Country
from careweave.people import identifiers as ids
from careweave.people.models import LivingSituation, Person, PersonIdentifier, RelatedPerson
from careweave.people.names import nfc, search_key
from careweave.people.timeline import timeline_add

# Fields a caller may set, with their maximum length (None: not a plain string field).
TEXT_FIELDS: dict[str, int] = {
    "given_name": 100,
    "family_name": 100,
    "preferred_name": 100,
    "gender": 40,
    "address_line": 200,
    "town": 100,
    "postcode": 20,
    "phone": 40,
    "email": 254,
    "main_language": 40,
    "other_languages": 200,
    "interpreter_language": 40,
    "cultural_background": 200,
    "faith": 100,
    "cultural_needs": 5000,
    "what_matters": 5000,
}
OTHER_FIELDS = {"birth_date", "interpreter_needed", "living_situation", "area_code", "country"}
EDITABLE_FIELDS = frozenset(TEXT_FIELDS) | OTHER_FIELDS
REQUIRED = ("given_name", "family_name", "birth_date")


def clean_person_fields(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validate and normalise person fields, collecting every error at once."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    unknown = set(data) - EDITABLE_FIELDS
    for name in sorted(unknown):
        errors.setdefault(name[:60], []).append(_("Unknown field."))
    for name, limit in TEXT_FIELDS.items():
        if name not in data:
            continue
        value = data[name]
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.setdefault(name, []).append(_("Enter text."))
            continue
        value = nfc(value)
        if "\x00" in value:
            errors.setdefault(name, []).append(_("Remove the invalid character."))
            continue
        if "\ufffd" in value:
            # What a browser or client sent was not UTF-8: refuse rather than store "�".
            errors.setdefault(name, []).append(
                _("Some characters could not be read. Type the text again.")
            )
            continue
        if len(value) > limit:
            errors.setdefault(name, []).append(
                _("Must be %(limit)d characters or fewer.") % {"limit": limit}
            )
            continue
        out[name] = value
    if "email" in out and out["email"] and ("@" not in out["email"] or " " in out["email"]):
        errors.setdefault("email", []).append(_("Enter an email address like name@example.org."))
    if "birth_date" in data:
        value = data["birth_date"]
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                value = None
                errors.setdefault("birth_date", []).append(
                    _("Enter a real date of birth, like 1948-03-27.")
                )
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            bound = dates.out_of_range(value, latest=timezone.localdate())
            if bound is dates.OutOfRange.TOO_LATE:
                errors.setdefault("birth_date", []).append(
                    _("Date of birth must be in the past.")
                )
            elif bound is dates.OutOfRange.TOO_EARLY:
                errors.setdefault("birth_date", []).append(
                    _("Date of birth must be in %(year)d or later.")
                    % {"year": dates.EARLIEST.year}
                )
            else:
                out["birth_date"] = value
        elif value is not None and "birth_date" not in errors:
            errors.setdefault("birth_date", []).append(_("Enter a real date of birth."))
    if "interpreter_needed" in data:
        if not isinstance(data["interpreter_needed"], bool):
            errors.setdefault("interpreter_needed", []).append(_("Answer yes or no."))
        else:
            out["interpreter_needed"] = data["interpreter_needed"]
    if "living_situation" in data:
        value = data["living_situation"] or ""
        if value not in LivingSituation.values:
            errors.setdefault("living_situation", []).append(_("Choose a living situation."))
        else:
            out["living_situation"] = value
    if "country" in data:
        if data["country"] not in Country.values:
            errors.setdefault("country", []).append(_("Choose the United Kingdom or Sweden."))
        else:
            out["country"] = data["country"]
    if "area_code" in data:
        code = data["area_code"] or ""
        if code:
            area = Area.objects.filter(code=str(code)[:20]).first()
            if area is None:
                errors.setdefault("area_code", []).append(_("Unknown area code."))
            else:
                out["area"] = area
        else:
            out["area"] = None
    if not partial:
        for name in REQUIRED:
            if name not in data or data[name] in (None, ""):
                errors[name] = [_("This is required.")]
    else:
        for name in REQUIRED:
            if name in data and data[name] in (None, ""):
                errors[name] = [_("This is required.")]
    if out.get("interpreter_needed") and not out.get("interpreter_language", data.get(
        "interpreter_language"
    )):
        errors.setdefault("interpreter_language", []).append(
            _("Say which language the interpreter should speak.")
        )
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    return out


def clean_identifiers(raw: Iterable[tuple[str, str]]) -> list[ids.Identifier]:
    errors: dict[str, list[str]] = {}
    result: list[ids.Identifier] = []
    seen: set[tuple[str, str]] = set()
    for system, value in raw:
        if not value or not str(value).strip():
            continue
        field = f"identifier_{system}"[:40]
        try:
            normalised = ids.normalise(system, str(value))
        except ids.InvalidIdentifier as exc:
            errors.setdefault(field, []).append(exc.translated(gettext))
            continue
        if (system, normalised) not in seen:
            seen.add((system, normalised))
            result.append(ids.Identifier(system, normalised))
    if errors:
        raise ValidationFailed(_("Check the identifiers."), errors=errors)
    return result


def find_by_identifier(system: str, value: str) -> Person | None:
    row = PersonIdentifier.objects.select_related("person").filter(system=system,
                                                                     value=value).first()
    return row.person if row else None


def identifier_in_use(actor: Actor, existing: Person, system: str,
                      value: str) -> DuplicateRecord:
    """The answer when an identifier given is held by another record: a link to it for
    someone who may see it; for anyone else a refused lookup (audited, rate-limited) and a
    neutral answer offering to ask to join the person's care team."""
    label = PersonIdentifier.System(system).label
    field = f"identifier_{system}"
    if decide(actor, existing).allowed:
        return DuplicateRecord(
            _("A record with this %(system)s already exists.") % {"system": label},
            errors={field: [_("Already in use.")]},
            extra={"system": system, "value": value, "existing": str(existing.pk)},
        )
    lookup_refused(actor=actor, person_id=existing.pk, system=system)
    return DuplicateRecord(
        _("This %(system)s is already registered by another organisation. You cannot see "
          "that record, but you can ask to join the person's care team.") % {"system": label},
        errors={field: [_("Already in use.")]},
        extra={"system": system, "value": value, "join_request": True},
    )


def similar_people(*, actor: Actor, given_name: str, family_name: str,
                   birth_date: dt.date) -> list[Person]:
    """People the actor may see with the same name and date of birth."""
    key = search_key(f"{family_name} {given_name}")
    return list(people_visible_to(actor).filter(sort_name=key, birth_date=birth_date)[:5])


def person_create(
    *,
    actor: Actor,
    data: Mapping[str, Any],
    identifiers: Iterable[tuple[str, str]] = (),
    confirm_similar: bool = False,
    care_team_role: str = "",
) -> Person:
    """Create a person; the actor's organisation joins the care team and registers the record."""
    if actor.membership is None or actor.role not in policy.CARE_ROLES:
        raise NotPermitted(_("Your role cannot create person records."))
    fields = clean_person_fields(data, partial=False)
    idents = clean_identifiers(identifiers)
    fields.setdefault("country", actor.membership.organisation.country)
    for ident in idents:
        existing = find_by_identifier(ident.system, ident.value)
        if existing is not None:
            raise identifier_in_use(actor, existing, ident.system, ident.value)
    if not confirm_similar:
        similar = similar_people(actor=actor, given_name=fields["given_name"],
                                 family_name=fields["family_name"],
                                 birth_date=fields["birth_date"])
        if similar:
            raise DuplicateRecord(
                _("Someone with the same name and date of birth is already on your caseload. "
                  "Check it is not the same person, then confirm."),
                extra={"similar": [str(p.pk) for p in similar], "confirmable": True},
            )
    try:
        with atomic():
            person = Person(registered_by=actor.membership.organisation, **fields)
            person.refresh_search_fields()
            person.save(force_insert=True)
            PersonIdentifier.objects.bulk_create(
                [PersonIdentifier(person=person, system=i.system, value=i.value) for i in idents]
            )
            CareTeamMember.objects.create(
                person=person,
                organisation=actor.membership.organisation,
                staff=actor.membership,
                role=care_team_role or actor.membership.get_role_display(),
                start_date=timezone.localdate(),
                added_by=actor.membership,
            )
            audit_record(
                actor=actor, action=AuditEvent.Action.CREATE, person_id=person.pk,
                object_type="Person", object_id=str(person.pk),
                purpose="direct_care", legal_basis=policy.Basis.OWN_ORGANISATION.value,
            )
            timeline_add(actor=actor, person_id=person.pk, kind="people.registered",
                         object_type="Person", object_id=str(person.pk),
                         data={"organisation": actor.membership.organisation.name})
            # A new record: the registering organisation's place is its only fact.
            Sharing.objects.bulk_create(sharing.rows_for(
                person_id=person.pk, country=person.country,
                registered_by_id=person.registered_by_id,
                team=[(person.registered_by_id, timezone.localdate(), None)], consents=(),
                now=timezone.now()))
    except IntegrityError:
        # A concurrent create took the identifier first: same answer as above.
        raise DuplicateRecord(_("A record with this identifier already exists.")) from None
    return person


IDENTITY_FIELDS = ("country", "birth_date")


def person_update(
    *,
    actor: Actor,
    person_id: uuid.UUID | str,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
    identifiers: Iterable[tuple[str, str]] | None = None,
) -> Person:
    """Change a person's details. ``expected_version`` (from If-Match) guards lost updates.

    Demographics (names, contacts, address, languages...) may be changed by the
    registering or a care-team organisation; identity (identifiers, country, date of
    birth) only by the registering organisation, through :func:`person_change_identity`,
    which this calls when identity fields change."""
    fields = clean_person_fields(changes, partial=True)
    idents = clean_identifiers(identifiers) if identifiers is not None else None
    with atomic():
        person, decision = require(actor, person_id, Action.CHANGE_DEMOGRAPHICS,
                                   audit_action="update", for_update=True)
        if expected_version is not None and person.version != expected_version:
            raise StaleVersion(
                _("Someone else changed this record. Reload it and make your change again."),
                extra={"current_version": person.version},
            )
        identity = {k: fields.pop(k) for k in IDENTITY_FIELDS if k in fields}
        if "country" in identity and identity["country"] != person.country:
            raise ValidationFailed(
                _("The country decides which consent rules apply, so it changes only with a "
                  "reason: use Change country."),
                errors={"country": [_("Change the country with a reason (Change country).")]})
        identity_changing = _identity_changes(person, identity, idents)
        changed = sorted(k for k, v in fields.items() if getattr(person, k) != v)
        address_before = _address(person)
        for key, value in fields.items():
            setattr(person, key, value)
        if changed:
            person.refresh_search_fields()
            if not identity_changing:  # one new version per change, not two
                person.version += 1
            person.save()
        audit_record(
            actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
            object_type="Person", object_id=str(person.pk), purpose=decision.purpose,
            legal_basis=str(decision.basis), detail={"fields": changed},
        )
        if _address(person) != address_before:
            timeline_add(actor=actor, person_id=person.pk, kind="people.address_changed",
                         object_type="Person", object_id=str(person.pk),
                         data={"before": address_before, "after": _address(person)})
        if identity_changing:
            person = person_change_identity(actor=actor, person=person, changes=identity,
                                            identifiers=idents)
    return person


def _identity_changes(person: Person, identity: Mapping[str, Any],
                      idents: list[ids.Identifier] | None) -> bool:
    if any(getattr(person, k) != v for k, v in identity.items()):
        return True
    if idents is None:
        return False
    held = {i.system: i.value for i in person.identifiers.all()}
    return any(held.get(i.system) != i.value for i in idents)


def person_change_identity(
    *,
    actor: Actor,
    person: Person,
    changes: Mapping[str, Any],
    identifiers: list[ids.Identifier] | None,
    reason: str = "",
) -> Person:
    """Change who the person is on record: identifiers, country (and with it the consent
    rules), date of birth. Only the registering organisation may; the change is audited
    with the values before and after, and each identifier change goes on the timeline.
    Called inside the caller's transaction, on a person it loaded for update."""
    decision = decide(actor, person, Action.CHANGE_IDENTITY)
    if not decision.allowed:
        fields = [k for k, v in changes.items() if getattr(person, k) != v]
        if identifiers is not None:
            fields += [f"identifier_{i.system}" for i in identifiers]
        raise audit_after_rollback(
            ValidationFailed(
                _("Only the organisation that registered this person can change their "
                  "identity details (identifiers, country, date of birth)."),
                errors={f: [_("Only the registering organisation can change this.")]
                        for f in fields}),
            actor=actor, action=AuditEvent.Action.UPDATE, outcome=AuditEvent.Outcome.DENIED,
            person_id=person.pk, object_type="Person", object_id=str(person.pk),
            legal_basis=str(decision.basis), detail={"identity_fields": fields})
    before: dict[str, Any] = {k: _plain(getattr(person, k)) for k in changes}
    identifiers_before = {i.system: i.value for i in person.identifiers.all()}
    changed = [k for k, v in changes.items() if getattr(person, k) != v]
    for key, value in changes.items():
        setattr(person, key, value)
    if identifiers is not None:
        wanted = {(i.system, i.value) for i in identifiers}
        existing = set(identifiers_before.items())
        for system, value in wanted - existing:
            other = find_by_identifier(system, value)
            if other is not None and other.pk != person.pk:
                raise identifier_in_use(actor, other, system, value)
        # The identifiers given replace those of the same systems; others are kept.
        person.identifiers.filter(system__in={s for s, _v in wanted}).exclude(
            value__in=[v for _s, v in wanted]).delete()
        try:
            with atomic():
                PersonIdentifier.objects.bulk_create(
                    [PersonIdentifier(person=person, system=s, value=v)
                     for s, v in wanted - existing])
        except IntegrityError:
            raise DuplicateRecord(_("Another record already has this identifier.")) from None
        if wanted - existing:
            changed.append("identifiers")
    person.refresh_search_fields()
    person.version += 1
    person.save()
    after: dict[str, Any] = {k: _plain(getattr(person, k)) for k in changes}
    identifiers_after = {i.system: i.value for i in person.identifiers.all()}
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                 object_type="Person", object_id=str(person.pk), purpose=decision.purpose,
                 legal_basis=str(decision.basis),
                 detail={"change": "identity", "fields": changed, "reason": reason,
                         "before": {**before, "identifiers": identifiers_before},
                         "after": {**after, "identifiers": identifiers_after}})
    for system in sorted(set(identifiers_after) | set(identifiers_before)):
        if identifiers_after.get(system) != identifiers_before.get(system):
            timeline_add(actor=actor, person_id=person.pk, kind="people.identifier_changed",
                         object_type="Person", object_id=str(person.pk),
                         data={"system": system, "before": identifiers_before.get(system, ""),
                               "after": identifiers_after.get(system, "")})
    if "country" in changed:  # the consent rules changed with it
        sharing.recompute([person.pk])
    for key in changed:
        if key in IDENTITY_FIELDS:
            timeline_add(actor=actor, person_id=person.pk, kind="people.identity_changed",
                         object_type="Person", object_id=str(person.pk),
                         data={"field": key, "before": before[key], "after": after[key]})
    return person


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _address(person: Person) -> list[str]:
    area = person.area.name if person.area_id and person.area else ""
    return [person.address_line, person.town, person.postcode, area]


NETWORK_FIELDS = {"name": 200, "phone": 40, "notes": 500}


def network_add(*, actor: Actor, person_id: uuid.UUID | str, data: Mapping[str, Any]) -> RelatedPerson:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for key, limit in NETWORK_FIELDS.items():
        value = nfc(str(data.get(key) or ""))
        if len(value) > limit:
            errors[key] = [_("Must be %(limit)d characters or fewer.") % {"limit": limit}]
        clean[key] = value
    if not clean["name"]:
        errors["name"] = [_("Enter a name.")]
    relationship = data.get("relationship") or ""
    if relationship not in RelatedPerson.Relationship.values:
        errors["relationship"] = [_("Choose a relationship.")]
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    with atomic():
        person, decision = require(actor, person_id, Action.CHANGE_DEMOGRAPHICS,
                                   audit_action="update")
        related = RelatedPerson.objects.create(
            person=person, relationship=relationship,
            is_next_of_kin=bool(data.get("is_next_of_kin")),
            is_carer=bool(data.get("is_carer")), may_share=bool(data.get("may_share")), **clean,
        )
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="RelatedPerson", object_id=str(related.pk),
                     purpose="direct_care", legal_basis=str(decision.basis))
        timeline_add(actor=actor, person_id=person.pk, kind="people.network_added",
                     object_type="RelatedPerson", object_id=str(related.pk),
                     data={"name": related.name, "relationship": related.relationship})
    return related


def person_change_country(*, actor: Actor, person_id: uuid.UUID | str, country: str,
                          reason: str, expected_version: int | None = None) -> Person:
    """Move a person's record to another country's rules (UK or Sweden): the consent rules
    change with it, so only the registering organisation may, with a reason, audited with
    the values before and after."""
    errors: dict[str, list[str]] = {}
    if country not in Country.values:
        errors["country"] = [_("Choose the United Kingdom or Sweden.")]
    reason = nfc(str(reason or ""))
    if not has_visible_text(reason, 10):
        errors["reason"] = [_("Give the reason in at least %(n)d characters.") % {"n": 10}]
    elif len(reason) > 500:
        errors["reason"] = [_("Must be %(limit)d characters or fewer.") % {"limit": 500}]
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    with atomic():
        person, _decision = require(actor, person_id, Action.CHANGE_IDENTITY,
                                    audit_action="update", for_update=True)
        if expected_version is not None and person.version != expected_version:
            raise StaleVersion(
                _("Someone else changed this record. Reload it and make your change again."),
                extra={"current_version": person.version})
        if person.country == country:
            raise ValidationFailed(_("Check the highlighted fields."), errors={
                "country": [_("The record already follows this country's rules.")]})
        person = person_change_identity(actor=actor, person=person,
                                        changes={"country": country}, identifiers=None,
                                        reason=reason)
    return person
