"""The person page is a hub that other apps extend, without ``people`` importing them.

An app contributes, from its ``AppConfig.ready()``:

- a **panel** on the person page (:class:`Panel`): a title, a template, a loader that gets
  the actor, the person and the gate's decision and returns the template's context, and
  an order. A loader runs a fixed, small number of queries whatever the size of the
  record (tests assert it), and may return ``None`` to show nothing (for example to a
  role that has no use for it);
- **timeline entry kinds** (:class:`TimelineKind`): how an entry of the person's timeline
  reads, and who may see entries of that kind. Entries are domain events written by the
  app's services (``careweave.people.timeline.timeline_add``), never the audit log;
- **caseload flags** (:class:`CaseloadFlag`): a short tag beside a person on the caseload
  ("Safety flag", "Review overdue"), loaded for a whole page at once;
- **person banners** (:class:`PersonBanner`): what must be seen before anything else on
  *every* page about the person (active warnings, a crisis plan), above the page's own
  content. ``base.html`` renders them for any page whose context has a ``person``
  (``{% person_banners %}`` in ``careweave.web.templatetags.careweave_web``), after asking
  the gate: a loader runs only for an actor who may read the person, gets the actor, the
  person and the gate's decision like a panel's, runs a fixed number of queries and
  returns its template's context, or ``None`` to show nothing;
- **merge handlers** (:class:`MergeHandler`): when a data-quality review merges record B
  into record A, each app moves its own person-keyed rows from B to A and says exactly
  which ones moved; an unmerge gives that list back so the app can put them back;
- **demo and seed steps** (:class:`DemoStep`): what the app adds to ``careweave demo`` (the
  named cast's records) and to ``careweave seed`` (its rows at scale), so that the demo and
  the seeder never import a domain app.

Like Django admin's site registry or Wagtail's hooks, registration is explicit and
ordered; a key can be registered once. Tests use :meth:`Registry.temporarily` to add an
entry for the length of a test.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# A loader's arguments are the actor (core.context.Actor), the person (people.models.Person)
# and the gate's Decision (access.policy.Decision); typed as Any so that core stays the
# innermost layer and imports none of them.
PanelLoader = Callable[[Any, Any, Any], Mapping[str, Any] | None]
Describe = Callable[[Any], str]
Audience = Callable[[Any, Any], bool]
FlagLoader = Callable[[Any, Sequence[Any]], Mapping[Any, str]]
# Merge handlers get person ids (uuid.UUID): (from, to) and return what moved as JSON-able
# values (row ids, and whatever the app needs to undo it exactly).
MergeMove = Callable[[Any, Any], list[Any]]
MergeRestore = Callable[[Any, Any, list[Any]], int]
MergeCheck = Callable[[Any, Any], list[str]]


def everyone(actor: Any, decision: Any) -> bool:
    """The default audience: whoever the gate lets read the person."""
    return True


@dataclass(frozen=True)
class Panel:
    key: str
    title: Any  # a lazy translation
    template: str
    load: PanelLoader
    order: int = 100
    app: str = ""


@dataclass(frozen=True)
class TimelineKind:
    key: str  # stored on each entry: "<app>.<event>", e.g. "access.consent_withdrawn"
    label: Any  # for the kind filter, e.g. _("Consent withdrawn")
    describe: Describe  # entry -> one translated sentence, at display time
    audience: Audience = everyone
    group: Any = ""  # filter group shown to users (e.g. _("Care team"))
    app: str = ""


@dataclass(frozen=True)
class CaseloadFlag:
    key: str
    label: Any
    load: FlagLoader  # (actor, people on the page) -> {person pk: text of the tag}
    colour: str = "red"  # a GOV.UK tag colour
    order: int = 100
    app: str = ""


@dataclass(frozen=True)
class PersonBanner:
    key: str
    template: str  # rendered with the loader's context plus person, decision and banner
    load: PanelLoader  # (actor, person, decision) -> context, or None for no banner
    order: int = 100  # lower first
    app: str = ""


@dataclass(frozen=True)
class MergeHandler:
    """How an app's person-keyed rows follow a merge, and go back on an unmerge.

    - ``move(merged_id, survivor_id)`` moves the rows of the merged record to the survivor
      and returns exactly what it moved (JSON-able: row ids, and any value it changed so
      that it can be put back);
    - ``restore(survivor_id, merged_id, moved)`` puts those rows back and returns how many
      it found (a row deleted since the merge cannot come back);
    - ``check(merged_id, survivor_id)``, optional, returns why the two records cannot be
      merged (translated sentences), before anything moves.

    All three run inside the merge's transaction, after the gate has allowed it.
    """

    key: str  # "<app>.<rows>", e.g. "access.care_team"
    label: Any  # what moves, for the unmerge page, e.g. _("Care team")
    move: MergeMove
    restore: MergeRestore
    check: MergeCheck | None = None
    order: int = 100
    app: str = ""


@dataclass(frozen=True)
class DemoStep:
    key: str
    # demo: run(cast) after the people, organisations and staff exist; ``cast`` gives the
    # named people, organisations and staff (careweave.demo.loader.Cast).
    # seed: run(batch) for each batch of seeded people (careweave.seed.generator).
    run: Callable[[Any], Any]
    order: int = 100
    app: str = ""


@dataclass
class Registry:
    _panels: dict[str, Panel] = field(default_factory=dict)
    _kinds: dict[str, TimelineKind] = field(default_factory=dict)
    _flags: dict[str, CaseloadFlag] = field(default_factory=dict)
    _banners: dict[str, PersonBanner] = field(default_factory=dict)
    _merge_handlers: dict[str, MergeHandler] = field(default_factory=dict)
    _demo: dict[str, DemoStep] = field(default_factory=dict)
    _seed: dict[str, DemoStep] = field(default_factory=dict)

    # -- registering ---------------------------------------------------------------------

    @staticmethod
    def _add(table: dict[str, Any], item: Any) -> Any:
        if item.key in table:
            raise ValueError(f"{type(item).__name__} {item.key!r} is registered already")
        table[item.key] = item
        return item

    def panel(self, panel: Panel) -> Panel:
        return self._add(self._panels, panel)

    def timeline_kind(self, kind: TimelineKind) -> TimelineKind:
        return self._add(self._kinds, kind)

    def caseload_flag(self, flag: CaseloadFlag) -> CaseloadFlag:
        return self._add(self._flags, flag)

    def person_banner(self, banner: PersonBanner) -> PersonBanner:
        return self._add(self._banners, banner)
    def merge_handler(self, handler: MergeHandler) -> MergeHandler:
        return self._add(self._merge_handlers, handler)

    def demo_step(self, step: DemoStep) -> DemoStep:
        return self._add(self._demo, step)

    def seed_step(self, step: DemoStep) -> DemoStep:
        return self._add(self._seed, step)

    @contextlib.contextmanager
    def temporarily(self, *items: Panel | TimelineKind | CaseloadFlag | PersonBanner
                    | MergeHandler,
                    ) -> Iterator[None]:
        """Register ``items`` for the length of a ``with`` block (for tests)."""
        tables: dict[type, dict[str, Any]] = {
            Panel: self._panels, TimelineKind: self._kinds, CaseloadFlag: self._flags,
            PersonBanner: self._banners, MergeHandler: self._merge_handlers}
        added: list[tuple[dict[str, Any], str]] = []
        try:
            for item in items:
                table = tables[type(item)]
                self._add(table, item)
                added.append((table, item.key))
            yield
        finally:
            for table, key in added:
                table.pop(key, None)

    # -- reading -------------------------------------------------------------------------

    def panels(self) -> list[Panel]:
        return sorted(self._panels.values(), key=lambda p: (p.order, p.key))

    def timeline_kinds(self) -> list[TimelineKind]:
        return list(self._kinds.values())

    def timeline_kind_of(self, key: str) -> TimelineKind | None:
        return self._kinds.get(key)

    def caseload_flags(self) -> list[CaseloadFlag]:
        return sorted(self._flags.values(), key=lambda f: (f.order, f.key))

    def person_banners(self) -> list[PersonBanner]:
        return sorted(self._banners.values(), key=lambda b: (b.order, b.key))
    def merge_handlers(self) -> list[MergeHandler]:
        return sorted(self._merge_handlers.values(), key=lambda h: (h.order, h.key))

    def merge_handler_of(self, key: str) -> MergeHandler | None:
        return self._merge_handlers.get(key)

    def demo_steps(self) -> list[DemoStep]:
        return sorted(self._demo.values(), key=lambda d: (d.order, d.key))

    def seed_steps(self) -> list[DemoStep]:
        return sorted(self._seed.values(), key=lambda d: (d.order, d.key))


registry = Registry()
