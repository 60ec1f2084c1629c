"""Form helpers every app's pages share: the GOV.UK date input, a text field that reports
an over-long value instead of truncating it, and service errors put back onto a form.

They live in ``core`` (not in the ``web`` shell) so that every domain app can use them while
its dependencies still point inward (docs/adr/0007-one-app-per-domain.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import Form
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from careweave.core import dates
from careweave.core.errors import ServiceError, ValidationFailed


def apply_service_error(form: Form, exc: ServiceError) -> None:
    """A service's errors onto the form: on the field when the form has it (service names
    use "-" where form fields use "_"), else on top; the service's own message on top
    unless it is only "check the highlighted fields"."""
    placed = False
    for name, msgs in exc.errors.items():
        field = name.replace("-", "_")
        for msg in msgs:
            if field in form.fields:
                form.add_error(field, msg)
            else:
                form.add_error(None, msg)
            placed = True
    if not placed or not isinstance(exc, ValidationFailed):
        form.add_error(None, exc.message)



# -- a GOV.UK date input: three boxes (day, month, year) -----------------------------------


class GovukDateWidget(forms.MultiWidget):
    """Renders as ``name_day``, ``name_month``, ``name_year`` inputs (ids ``id_name_0`` to
    ``_2``; see the template). The class name is what ``careweave_web.widget_type`` knows."""

    template_name = "includes/widgets/date.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        widgets: dict[str, forms.Widget | type[forms.Widget]] = {
            "day": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 2}),
            "month": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 2}),
            "year": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 4}),
        }
        super().__init__(widgets, attrs)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, dt.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def _render(self, template_name: str, context: dict[str, Any],
                renderer: Any = None) -> SafeString:
        # The project's template engine (the default form renderer only looks in apps'
        # template folders, and our templates live in careweave/templates).
        return mark_safe(render_to_string(template_name, context))

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        invalid = bool((attrs or {}).get("aria-invalid")) or bool(
            self.attrs.get("aria-invalid"))
        labels = (_("Day"), _("Month"), _("Year"))
        widths = (2, 2, 4)
        context["widget"]["parts"] = [
            {
                "label": label, "width": width, "invalid": invalid,
                "id": sub["attrs"].get("id", ""), "name": sub["name"],
                "value": "" if sub["value"] is None else str(sub["value"]),
                "maxlength": sub["attrs"].get("maxlength", ""),
            }
            for sub, label, width in zip(context["widget"]["subwidgets"], labels, widths,
                                         strict=True)
        ]
        return context


DateInput = GovukDateWidget


class DateField(forms.MultiValueField):
    """A date typed as day, month and year, with the GOV.UK error messages."""

    widget = GovukDateWidget

    def __init__(self, **kwargs: Any) -> None:
        fields = (
            forms.CharField(max_length=2),
            forms.CharField(max_length=2),
            forms.CharField(max_length=4),
        )
        kwargs.setdefault("require_all_fields", False)
        super().__init__(fields=fields, **kwargs)

    def clean(self, value: Any) -> dt.date | None:
        parts = [str(v or "").strip() for v in (value or ["", "", ""])]
        parts += [""] * (3 - len(parts))
        day, month, year = parts[:3]
        if not (day or month or year):
            if self.required:
                raise ValidationError(_("Enter a date."), code="required")
            return None
        missing = [name for name, part in zip((_("day"), _("month"), _("year")), parts[:3],
                                                strict=True) if not part]
        if missing:
            raise ValidationError(
                _("The date must include a %(part)s.") % {"part": missing[0]}, code="incomplete")
        if not (day.isdigit() and month.isdigit() and year.isdigit()) or len(year) != 4:
            raise ValidationError(_("Enter a real date, like 27 3 2026."), code="invalid")
        try:
            value_date = dt.date(int(year), int(month), int(day))
        except ValueError:
            raise ValidationError(_("Enter a real date, like 27 3 2026."),
                                  code="invalid") from None
        if not dates.in_sane_range(value_date):
            raise ValidationError(
                _("Enter a year from %(earliest)d to %(latest)d.")
                % {"earliest": dates.EARLIEST.year, "latest": dates.LATEST.year},
                code="out_of_range")
        return value_date

    def compress(self, data_list: list[Any]) -> Any:  # pragma: no cover - clean() overrides
        return data_list


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the current time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))



def text_field(label: Any, max_length: int, *, required: bool = False, help_text: Any = "",
          textarea: bool = False) -> forms.CharField:
    # max_length is checked by the service (with the same message as the API); the form
    # accepts a little more so a too-long value is reported, not silently truncated.
    return forms.CharField(
        label=label, required=required, help_text=help_text,
        max_length=max_length * 4, strip=True,
        widget=forms.Textarea if textarea else forms.TextInput,
        error_messages={"required": _("This is required."),
                        "max_length": _("Must be %(limit)d characters or fewer.")
                        % {"limit": max_length}},
    )
