"""Forms for signing in, two-factor authentication and choosing a membership."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150,
                               error_messages={"required": _("Enter your username.")})
    password = forms.CharField(label=_("Password"), max_length=200, widget=forms.PasswordInput,
                               error_messages={"required": _("Enter your password.")})


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Security code"), max_length=12,
        help_text=_("The 6-digit code from your authenticator app."),
        error_messages={"required": _("Enter the 6-digit security code.")},
    )

    def clean_token(self) -> str:
        value = "".join(str(self.cleaned_data["token"]).split())
        if not (value.isdigit() and len(value) == 6):
            raise forms.ValidationError(_("Enter the 6-digit security code."))
        return value


class MembershipForm(forms.Form):
    membership = forms.ChoiceField(
        label=_("Which organisation and role are you working in?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose an organisation and role."),
                        "invalid_choice": _("Choose an organisation and role.")},
    )

    def __init__(self, *args: Any, memberships: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["membership"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (str(m.pk), f"{m.organisation.name} — {m.get_role_display()}") for m in memberships
        ]
