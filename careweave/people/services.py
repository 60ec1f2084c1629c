"""Writes to the person record. Keyword-only, actor first, one transaction, audit inside."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, connection
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from careweave.access import policy, sharing
from careweave.access.gate import Action, Basis, decide, deny, people_visible_to, require
from careweave.access.models import CareTeamMember, Sharing
from careweave.access.services import lookup_refused
from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_after_rollback, audit_record
from careweave.core import dates
from careweave.core.context import Actor
from careweave.core.db import atomic
from careweave.core.errors import (
    Conflict,
    DuplicateRecord,
    NotPermitted,
    StaleVersion,
    ValidationFailed,
)
from careweave.core.registry import registry
from careweave.core.text import has_visible_text
from careweave.orgs.models import Area, Country
from careweave.people import duplicates, matching
from careweave.people import identifiers as ids
from careweave.people.matching import Demographics, Match
from careweave.people.models import (
    DuplicateCandidate,
    LivingSituation,
    Person,
    PersonIdentifier,
    PersonMerge,
    RelatedPerson,
)
from careweave.people.names import nfc
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
    """Normalised identifiers, at most one per system (a person has one NHS number)."""
    errors: dict[str, list[str]] = {}
    result: list[ids.Identifier] = []
    by_system: dict[str, str] = {}
    for system, value in raw:
        if not value or not str(value).strip():
            continue
        field = f"identifier_{system}"[:40]
        try:
            normalised = ids.normalise(system, str(value))
        except ids.InvalidIdentifier as exc:
            errors.setdefault(field, []).append(exc.translated(gettext))
            continue
        if system in by_system:
            if by_system[system] != normalised and field not in errors:
                errors[field] = [_("Give one %(system)s only: a person has one.") % {
                    "system": PersonIdentifier.System(system).label}]
            continue
        by_system[system] = normalised
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
                   birth_date: dt.date, postcode: str = "",
                   identifiers: Iterable[ids.Identifier] = ()) -> list[tuple[Person, Match]]:
    """People the actor may see who may be the same person (careweave.people.matching),
    most likely first: names spelt another way, a date of birth with day and month swapped
    or one digit wrong, the same postcode. One indexed query on the dates of birth."""
    probe = Demographics(given_name=given_name, family_name=family_name, birth_date=birth_date,
                         postcode=postcode,
                         identifiers=frozenset((i.system, i.value) for i in identifiers))
    return duplicates.matches(people_visible_to(actor), probe, limit=5)


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
    # Everyone who may be this person, in one indexed query: the warning names those the
    # actor may see; the stored pairs (for the data-quality list) include everyone.
    probe = Demographics(given_name=fields["given_name"], family_name=fields["family_name"],
                         birth_date=fields["birth_date"], postcode=fields.get("postcode", ""),
                         identifiers=frozenset((i.system, i.value) for i in idents))
    found = duplicates.matches(Person.objects.all(), probe)
    if found and not confirm_similar:
        visible = set(people_visible_to(actor).filter(pk__in=[p.pk for p, _m in found])
                      .values_list("pk", flat=True))
        similar = [(p, m) for p, m in found if p.pk in visible][:5]
        if similar:
            raise DuplicateRecord(
                _("Someone who may be the same person is already on your caseload. Check "
                  "that it is not the same person, then confirm."),
                extra={"similar": [str(p.pk) for p, _m in similar], "confirmable": True,
                       # for the page and the API to show why (never sent as is)
                       "matches": similar},
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
                now=timezone.now(), names=sharing.names_of(person)))
            duplicates.store_pairs(person, found)
    except IntegrityError:
        # A concurrent create took the identifier first: same answer as above.
        raise DuplicateRecord(_("A record with this identifier already exists.")) from None
    return person


IDENTITY_FIELDS = ("country", "birth_date")
# What matching looks at: a change to any of them refreshes the person's possible duplicates.
MATCHED_FIELDS = frozenset({"given_name", "family_name", "birth_date", "postcode",
                            "identifiers"})


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
        if person.merged_into_id is not None:
            raise Conflict(_("This record was merged into another record: change that one."))
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
            keys = sharing.names_of(person)
            person.refresh_search_fields()
            if not identity_changing:  # one new version per change, not two
                person.version += 1
            person.save()
            if sharing.names_of(person) != keys:  # the caseload sorts and searches by them
                sharing.rename(person)
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
        if identity_changing or MATCHED_FIELDS & set(changed):
            duplicates.refresh_pairs(person)
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
            # Someone else took the number between the check above and this insert (the
            # check passed for both): the unique constraint decided. The savepoint keeps
            # the transaction usable on PostgreSQL; the whole change is rolled back.
            raise DuplicateRecord(
                _("Another record already has this identifier."),
                errors={f"identifier_{s}": [_("Already in use.")]
                        for s in sorted({s for s, _v in wanted - existing})},
            ) from None
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


# -- possible duplicates: merge, unmerge, "not the same person" ---------------------------------


def _person_pair(actor: Actor, first_id: Any, second_id: Any, *, object_type: str,
                 object_id: str = "", for_update: bool = False) -> list[tuple[Person, Any]]:
    """Both records through the gate for MERGE_RECORDS (404 if either is refused), locked
    in a fixed order so that two merges of the same records cannot deadlock."""
    order = sorted([(str(first_id), 0), (str(second_id), 1)])
    found: dict[int, tuple[Person, Any]] = {}
    for raw, position in order:
        found[position] = require(actor, raw, Action.MERGE_RECORDS, audit_action="update",
                                  object_type=object_type, object_id=object_id,
                                  for_update=for_update)
    return [found[0], found[1]]


def _merge_audit(*, actor: Actor, merge: PersonMerge, operation: str, people: list[Person],
                 bases: list[Any], counts: dict[str, int]) -> None:
    for person, basis in zip(people, bases, strict=True):
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="PersonMerge", object_id=str(merge.pk), purpose="direct_care",
                     legal_basis=str(basis),
                     detail={"operation": operation, "survivor": str(merge.survivor_id),
                             "merged": str(merge.merged_id), "rows": counts})


def _merge_timeline(*, actor: Actor, kind: str, merge: PersonMerge, survivor: Person,
                    merged: Person) -> None:
    organisation = actor.membership.organisation.name if actor.membership else ""
    for person, other, role in ((survivor, merged, "survivor"), (merged, survivor, "merged")):
        timeline_add(actor=actor, person_id=person.pk, kind=kind, object_type="PersonMerge",
                     object_id=str(merge.pk),
                     data={"role": role, "other_name": other.display_name,
                           "other_birth_date": other.birth_date.isoformat(),
                           "organisation": organisation, "merge": str(merge.pk)})


def person_merge(*, actor: Actor, survivor_id: uuid.UUID | str,
                 merged_id: uuid.UUID | str) -> PersonMerge:
    """Merge record ``merged`` (B) into ``survivor`` (A): B's identifiers, care team,
    consents, family and carers and timeline move to A (each app's rows by its registered
    merge handler), and B is kept, marked as merged into A, so that
    :func:`person_unmerge` can put exactly those rows back.

    Only a data-quality role of the organisation that registered both records may do it
    (the gate's MERGE_RECORDS, asked for both: 404 otherwise). Audited for both people and
    written on both timelines.
    """
    if str(survivor_id) == str(merged_id):
        raise ValidationFailed(_("Choose two different records to merge."),
                               errors={"merged": [_("This is the record to keep.")]})
    with atomic():
        (survivor, survivor_decision), (merged, merged_decision) = _person_pair(
            actor, survivor_id, merged_id, object_type="PersonMerge", for_update=True)
        if survivor.merged_into_id is not None or merged.merged_into_id is not None:
            raise Conflict(_("One of these records has been merged already."))
        if survivor.country != merged.country:
            raise Conflict(_("Records from different countries cannot be merged: the consent "
                             "rules differ."))
        problems = [problem for handler in registry.merge_handlers() if handler.check
                    for problem in handler.check(merged.pk, survivor.pk)]
        if problems:
            raise Conflict(problems[0], errors={"merged": problems})
        ident_rows = duplicates.identifiers_of([survivor, merged])
        match = matching.compare(
            duplicates.demographics_of(survivor, ident_rows.get(survivor.pk, ())),
            duplicates.demographics_of(merged, ident_rows.get(merged.pk, ())))
        moved = {handler.key: handler.move(merged.pk, survivor.pk)
                 for handler in registry.merge_handlers()}
        # Who may read each record follows its care team and consents, which just moved.
        sharing.recompute([survivor.pk, merged.pk])
        now = timezone.now()
        merged.merged_into = survivor
        merged.version += 1
        merged.save(update_fields=["merged_into", "version", "updated_at"])
        survivor.version += 1
        survivor.save(update_fields=["version", "updated_at"])
        assert actor.membership is not None
        merge = PersonMerge.objects.create(
            survivor=survivor, merged=merged, organisation=actor.membership.organisation,
            merged_by=actor.membership, merged_at=now, score=match.score,
            reasons=[str(r) for r in match.reasons], moved=moved,
        )
        duplicates.refresh_pairs(merged)
        duplicates.refresh_pairs(survivor)
        counts = {key: len(rows) for key, rows in moved.items()}
        _merge_audit(actor=actor, merge=merge, operation="merge", people=[survivor, merged],
                     bases=[survivor_decision.basis, merged_decision.basis], counts=counts)
        _merge_timeline(actor=actor, kind="people.merged", merge=merge, survivor=survivor,
                        merged=merged)
    return merge


def _merge_of(actor: Actor, merge_id: uuid.UUID | str, *, for_update: bool = False,
              ) -> PersonMerge:
    try:
        pk = uuid.UUID(str(merge_id))
    except ValueError:
        pk = None
    qs = PersonMerge.objects.select_related("survivor", "merged")
    if for_update and connection.vendor == "postgresql":
        qs = qs.select_for_update(of=("self",))
    merge = qs.filter(pk=pk).first() if pk is not None else None
    if merge is None:
        deny(actor, None, "update", Basis.NOT_FOUND, "PersonMerge", str(merge_id)[:64])
    assert merge is not None
    return merge


def person_unmerge(*, actor: Actor, merge_id: uuid.UUID | str) -> PersonMerge:
    """Undo a merge: the rows that moved go back to the merged record (those still on the
    survivor: a row deleted since cannot come back), which is a record of its own again.

    The gate is asked for the survivor before, and for the merged record after its rows
    are back (its care team decides who may see it): both must allow MERGE_RECORDS.
    """
    with atomic():
        merge = _merge_of(actor, merge_id, for_update=True)
        survivor, survivor_decision = require(actor, merge.survivor_id, Action.MERGE_RECORDS,
                                              audit_action="update", object_type="PersonMerge",
                                              object_id=str(merge.pk), for_update=True)
        if merge.unmerged_at is not None:
            raise Conflict(_("This merge has been undone already."))
        if survivor.merged_into_id is not None:
            raise Conflict(_("The record these were merged into has since been merged into "
                             "another record: undo that merge first."))
        merged = merge.merged
        counts: dict[str, int] = {}
        for handler in reversed(registry.merge_handlers()):
            if handler.key in merge.moved:
                counts[handler.key] = handler.restore(survivor.pk, merged.pk,
                                                      merge.moved[handler.key])
        merged.merged_into = None
        merged.version += 1
        merged.save(update_fields=["merged_into", "version", "updated_at"])
        survivor.version += 1
        survivor.save(update_fields=["version", "updated_at"])
        sharing.recompute([survivor.pk, merged.pk])
        merge.unmerged_at = timezone.now()
        merge.unmerged_by = actor.membership
        merge.save(update_fields=["unmerged_at", "unmerged_by"])
        merged, merged_decision = require(actor, merged.pk, Action.MERGE_RECORDS,
                                          audit_action="update", object_type="PersonMerge",
                                          object_id=str(merge.pk))
        duplicates.refresh_pairs(survivor)
        duplicates.refresh_pairs(merged)
        _merge_audit(actor=actor, merge=merge, operation="unmerge", people=[survivor, merged],
                     bases=[survivor_decision.basis, merged_decision.basis], counts=counts)
        _merge_timeline(actor=actor, kind="people.unmerged", merge=merge, survivor=survivor,
                        merged=merged)
    return merge


def duplicate_dismiss(*, actor: Actor, pair_id: uuid.UUID | str) -> DuplicateCandidate:
    """Someone reviewed the pair and found two people: it leaves the list for good (the
    same gate as a merge, for both records). Audited for both."""
    with atomic():
        try:
            pk = uuid.UUID(str(pair_id))
        except ValueError:
            pk = None
        pair = DuplicateCandidate.objects.filter(pk=pk).first() if pk is not None else None
        if pair is None:
            deny(actor, None, "update", Basis.NOT_FOUND, "DuplicateCandidate",
                 str(pair_id)[:64])
        assert pair is not None
        (a, decision_a), (b, decision_b) = _person_pair(
            actor, pair.person_a_id, pair.person_b_id, object_type="DuplicateCandidate",
            object_id=str(pair.pk))
        if pair.dismissed_at is None:
            pair.dismissed_at = timezone.now()
            pair.dismissed_by = actor.membership
            pair.save(update_fields=["dismissed_at", "dismissed_by"])
            for person, decision in ((a, decision_a), (b, decision_b)):
                audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                             object_type="DuplicateCandidate", object_id=str(pair.pk),
                             purpose="direct_care", legal_basis=str(decision.basis),
                             detail={"operation": "not_the_same_person",
                                     "score": pair.score})
    return pair
