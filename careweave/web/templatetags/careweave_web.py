"""Template helpers for the GOV.UK-styled pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def membership_count(context: template.Context, user: Any) -> int:
    """How many active memberships the user has (for the "Change" link)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    request = context.get("request")
    known = getattr(request, "memberships", None)
    if known:
        return len(known)
    from careweave.orgs.middleware import memberships_for

    return len(memberships_for(user))


@register.simple_tag
def role_menu(actor: Any) -> list[Any]:
    """The header menu for the role the user acts in (careweave.web.navigation)."""
    from careweave.web.navigation import menu_for

    return menu_for(actor)


@register.simple_tag(takes_context=True)
def nav_item(context: template.Context, url: str, text: str) -> str:
    """One service-navigation item, marked current when it is the page being shown."""
    request = context.get("request")
    path = request.path if request is not None else ""
    current = bool(url) and path == url
    if current:
        return format_html(
            '<li class="govuk-service-navigation__item govuk-service-navigation__item--active">'
            '<a class="govuk-service-navigation__link" href="{}" aria-current="page">'
            '<strong class="govuk-service-navigation__active-fallback">{}</strong></a></li>',
            url,
            text,
        )
    return format_html(
        '<li class="govuk-service-navigation__item">'
        '<a class="govuk-service-navigation__link" href="{}">{}</a></li>',
        url,
        text,
    )


@register.filter
def describedby(field: BoundField, extra: str = "") -> str:
    """The ids a field's input is described by: its hint and its error message."""
    ids = []
    if extra:
        ids.append(extra)
    if field.help_text:
        ids.append(f"{field.auto_id}-hint")
    if field.errors:
        ids.append(f"{field.auto_id}-error")
    return " ".join(ids)


@register.filter
def widget_type(field: BoundField) -> str:
    """input, textarea, select, checkbox, radio or date (for includes/field.html)."""
    widget = field.field.widget
    name = type(widget).__name__
    if name in {"Textarea"}:
        return "textarea"
    if name in {"Select", "NullBooleanSelect"}:
        return "select"
    if name in {"CheckboxInput"}:
        return "checkbox"
    if name in {"RadioSelect"}:
        return "radio"
    if name in {"CheckboxSelectMultiple"}:
        return "checkboxes"
    if name in {"GovukDateWidget"}:
        return "date"
    return "input"


@register.filter
def input_type(field: BoundField) -> str:
    return str(getattr(field.field.widget, "input_type", "text") or "text")


@register.filter
def as_str(value: Any) -> str:
    return "" if value is None else str(value)


@register.simple_tag
def govuk_widget(field: BoundField, css_class: str) -> str:
    """Render the field's own widget (e.g. a <select> with optgroups) with GOV.UK classes."""
    classes = css_class + (f" {css_class}--error" if field.errors else "")
    attrs: dict[str, str | bool] = {"class": classes}
    described = describedby(field)
    if described:
        attrs["aria-describedby"] = described
    return field.as_widget(attrs=attrs)


@register.filter
def basis_label(code: Any) -> str:
    """The legal basis of an access decision, in words."""
    from django.utils.translation import gettext as _

    labels = {
        "own-organisation": _("Your organisation registered this person"),
        "implied-consent-direct-care": _("Implied consent for direct care (care team)"),
        "explicit-consent": _("Explicit consent to share (care team)"),
        "break-glass": _("Emergency access (break-glass)"),
        "person-objected": _("The person objected to sharing"),
        "no-consent": _("No consent to share yet"),
        "not-in-care-team": _("Not on the care team"),
    }
    return labels.get(str(code), str(code))


@register.filter
def sharing_label(decision: Any) -> str:
    """Why an organisation can (or cannot) see the record, with the purpose."""
    from django.utils.translation import gettext as _

    basis = str(getattr(decision, "basis", ""))
    purpose = str(getattr(decision, "purpose", ""))
    if basis == "explicit-consent":
        return (_("Explicit consent for care coordination (SIP)") if purpose == "coordination"
                else _("Explicit consent for direct care"))
    if basis == "own-organisation":
        return _("Registered the record")
    return basis_label(basis)


@register.filter
def may(decision: Any, action: str) -> bool:
    """{% if decision|may:"add_to_care_team" %}: the gate's answer for this action."""
    check = getattr(decision, "may", None)
    return bool(check(action)) if callable(check) else False


@register.simple_tag(takes_context=True)
def person_banners(context: template.Context) -> str:
    """The registered person banners (``careweave.core.registry.PersonBanner``) for the page's
    ``person``, in order: what must be seen first on every page about the person (active
    warnings today). Nothing unless the gate lets the actor read the person; the page's own
    ``decision`` is used when it has one, so the person page asks the gate only once."""
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    from careweave.access.gate import decide
    from careweave.access.policy import Decision
    from careweave.core.registry import registry
    from careweave.people.models import Person

    banners = registry.person_banners()
    person = context.get("person")
    request = context.get("request")
    actor = getattr(request, "actor", None)
    if not banners or not isinstance(person, Person) or actor is None or \
            actor.membership is None:
        return ""
    decision = context.get("decision")
    if not isinstance(decision, Decision):
        decision = decide(actor, person)
    if not decision.allowed:
        return ""
    parts = []
    for banner in banners:
        loaded = banner.load(actor, person, decision)
        if loaded is None:
            continue
        parts.append(render_to_string(banner.template, {
            **loaded, "person": person, "decision": decision, "banner": banner},
            request=request))
    return mark_safe("".join(parts))  # noqa: S308 - rendered templates, autoescaped
