"""Console forms shared by several screens, and turning domain refusals into form errors."""

from __future__ import annotations

from django import forms

from core.errors import ApplicationError


class SignInForm(forms.Form):
    """One form for every factor: a page that asked for the code only after a right password
    would tell a guesser the password was right (accounts.signin answers all failures alike)."""

    username = forms.CharField(max_length=150, label="Username")
    password = forms.CharField(
        max_length=256, strip=False, label="Password", widget=forms.PasswordInput
    )
    otp = forms.CharField(
        max_length=10,
        required=False,
        label="Code from your authenticator app",
        help_text="6 digits, if you have set up an app. It changes every 30 seconds.",
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"}
        ),
    )
    recovery_code = forms.CharField(
        max_length=40,
        required=False,
        label="Or a recovery code",
        help_text="Only if you cannot use your app. Each code works once.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=10,
        label="Code from your authenticator app",
        error_messages={"required": "Type the 6-digit code your app shows now."},
        help_text="6 digits. It changes every 30 seconds.",
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"}
        ),
    )


class PasswordSetForm(forms.Form):
    token = forms.CharField(
        max_length=200,
        label="Your invitation or reset code",
        help_text="Your agency administrator gave it to you.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    password = forms.CharField(
        max_length=256,
        strip=False,
        label="Choose a password",
        help_text="At least 12 characters. Not a common password.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


def add_refusal(form: forms.Form, error: ApplicationError, fields: dict[str, str]) -> None:
    """Put a service's refusal on the form field it names (`fields` maps service field names to
    form field names), else at the top of the form. Messages never carry survivor data."""
    named = [(e.get("field", ""), e.get("message")) for e in error.extra.get("errors", [])]
    if not named:
        named = [(str(error.extra.get("field", "")), None)]
    for name, message in named:
        target = fields.get(name) or fields.get(name.split(".")[-1])
        form.add_error(target if target in form.fields else None, message or error.detail)
