"""Forms for client records: the fields of each category, and the new-client form.

Lengths and kinds follow the API's inputs; the rules (names required and never cleared, who
may write) are the service's (`clients.services`), not repeated here.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms

from clients.fields import SPECS_BY_CATEGORY
from console.present import FIELD_WORDS

MAX_LENGTHS = {
    "phone": 40,
    "email": 254,
    "address": 500,
    "safe_contact_instructions": 2000,
    "gender": 50,
    "preferred_language": 35,
    "status": 100,
}
LONG = {"safe_contact_instructions", "risk_notes", "notes", "address"}
LANGUAGES = [
    ("", "Not recorded"),
    ("en", "English"),
    ("es", "Spanish"),
    ("vi", "Vietnamese"),
    ("fr", "French"),
    ("other", "Another language"),
]


def _past(value: datetime.date | None) -> None:
    if value is not None and not datetime.date(1900, 1, 1) <= value <= datetime.date.today():
        raise forms.ValidationError("Enter a date of birth between 1900 and today.")


def field_for(name: str, kind: str) -> forms.Field:
    label = FIELD_WORDS.get(name, name)
    if kind == "date":
        return forms.DateField(
            required=False,
            label=label,
            help_text="For example, 1990-01-31. Leave it empty if you do not know it.",
            validators=[_past],
            input_formats=["%Y-%m-%d"],
            # A text box, not a date picker: typed the same way on every browser and keyboard.
            widget=forms.DateInput(
                attrs={"inputmode": "numeric", "spellcheck": "false"}, format="%Y-%m-%d"
            ),
        )
    if kind == "int":
        return forms.IntegerField(required=False, label=label, min_value=1, max_value=30)
    if name == "preferred_language":
        return forms.ChoiceField(required=False, label=label, choices=LANGUAGES)
    if name == "email":
        return forms.EmailField(required=False, label=label, max_length=254)
    widget = forms.Textarea if name in LONG else forms.TextInput
    return forms.CharField(
        required=False, label=label, max_length=MAX_LENGTHS.get(name, 4000), widget=widget
    )


def category_form(category: str, data: Any = None, initial: Any = None) -> forms.Form:
    """A form with the fields of one category (names prefixed `<category>-`)."""
    fields = {s.name: field_for(s.name, s.kind) for s in SPECS_BY_CATEGORY[category]}
    form_class = type(f"{category.title()}Form", (forms.Form,), fields)
    form: forms.Form = form_class(data=data, initial=initial, prefix=category)
    return form


NEW_CLIENT = {
    "identity": ("given_name", "family_name", "preferred_name", "date_of_birth"),
    "contact": ("phone", "email", "address", "safe_contact_instructions"),
    "demographics": ("preferred_language",),
}


class NewClientForm(forms.Form):
    """What the first meeting usually records; the rest is added category by category."""

    given_name = forms.CharField(max_length=100, label="Given name")
    family_name = forms.CharField(max_length=100, label="Family name")
    preferred_name = field_for("preferred_name", "text")
    date_of_birth = field_for("date_of_birth", "date")
    phone = field_for("phone", "text")
    email = field_for("email", "text")
    address = field_for("address", "text")
    safe_contact_instructions = field_for("safe_contact_instructions", "text")
    preferred_language = field_for("preferred_language", "text")
    not_a_duplicate = forms.BooleanField(
        required=False,
        label="None of these is the person: create a new record",
    )

    def payload(self) -> dict[str, dict[str, Any]]:
        """`{category: {field: value}}` of what was filled in, for `client_create`."""
        data = self.cleaned_data
        out: dict[str, dict[str, Any]] = {}
        for category, names in NEW_CLIENT.items():
            values = {n: data[n] for n in names if data.get(n) not in (None, "")}
            if values:
                out[category] = values
        return out


def payload_of(form: forms.Form) -> dict[str, Any]:
    """A category form's values (empty ones clear the field; the service keeps the names)."""
    return {name: (value if value != "" else None) for name, value in form.cleaned_data.items()}
