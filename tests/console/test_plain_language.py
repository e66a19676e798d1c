"""Survivor-facing text reads at grade 8 or below, in English and in Spanish (textstat 0.7.3:
Flesch-Kincaid grade for English, Fernández-Huerta reading ease for Spanish, where 60 and above
is "normal" or easier, about 7th-8th grade), and every string is translated."""

from __future__ import annotations

import gettext
import re
from datetime import timedelta
from pathlib import Path

import pytest
import textstat
from django.utils import timezone, translation

from consent.services import ConsentTerms, consent_grant, consent_refuse
from console.receipt import CATEGORY_SENTENCES, METHOD_SENTENCES, PURPOSE_SENTENCES, consent_receipt
from tests.conftest import actor

LOCALE = Path(__file__).resolve().parents[2] / "console" / "locale" / "es" / "LC_MESSAGES"
MAX_GRADE_EN = 8
MIN_EASE_ES = 60


def grade_en(text: str) -> float:
    textstat.set_lang("en")
    return textstat.flesch_kincaid_grade(text)


def ease_es(text: str) -> float:
    textstat.set_lang("es")
    try:
        return textstat.fernandez_huerta(text)
    finally:
        textstat.set_lang("en")


def _text(receipt: dict) -> str:
    parts = [receipt["who"], *receipt["what"], receipt["why"], receipt["until"], receipt["how"]]
    parts += [*receipt["stop"], receipt["choice"], receipt["refusal"]]
    return " ".join(str(p) for p in parts)


@pytest.fixture
def granted(alice, eastside, harbor, make_client):
    terms = ConsentTerms(
        recipient_agency_id=harbor.id,
        categories=["identity", "contact", "safety"],
        purpose="housing",
        method="written",
        signed_by="client",
        informed=True,
        expires_at=timezone.now() + timedelta(days=90),
    )
    return consent_grant(actor=actor(alice), client=make_client(eastside), terms=terms)


@pytest.mark.parametrize(
    "sentences",
    [CATEGORY_SENTENCES, PURPOSE_SENTENCES, METHOD_SENTENCES],
    ids=["categories", "purposes", "methods"],
)
def test_each_explanation_reads_at_grade_8_in_both_languages(sentences):
    for key, sentence in sentences.items():
        with translation.override("en"):
            english = str(sentence)
        with translation.override("es"):
            spanish = str(sentence)
        assert spanish != english, f"{key} is not translated"
        assert grade_en(english) <= MAX_GRADE_EN, (key, english, grade_en(english))
        assert ease_es(spanish) >= MIN_EASE_ES, (key, spanish, ease_es(spanish))


def test_the_whole_receipt_reads_at_grade_8_in_english_and_spanish(granted):
    english = _text(consent_receipt(consent=granted, language="en"))
    spanish = _text(consent_receipt(consent=granted, language="es"))
    assert "Harbor Social Services" in english and "Harbor Social Services" in spanish
    assert grade_en(english) <= MAX_GRADE_EN, grade_en(english)
    assert ease_es(spanish) >= MIN_EASE_ES, ease_es(spanish)
    # The checks can fail: dense legal English does not pass.
    assert (
        grade_en(
            "The recipient organisation's utilisation of personally identifiable information "
            "is contingent upon authorisation."
        )
        > MAX_GRADE_EN
    )


def test_a_refusal_receipt_says_so_plainly(alice, eastside, harbor, make_client):
    terms = ConsentTerms(
        recipient_agency_id=harbor.id,
        categories=["identity"],
        purpose="housing",
        method="written",
        signed_by="client",
    )
    refused = consent_refuse(actor=actor(alice), client=make_client(eastside), terms=terms)
    receipt = consent_receipt(consent=refused, language="es")
    assert receipt["refused"] is True
    assert receipt["refusal"].startswith("Usted dijo que no.")
    assert ease_es(receipt["refusal"]) >= MIN_EASE_ES


def _po_entries() -> dict[str, str]:
    text = (LOCALE / "django.po").read_text()
    assert "#, fuzzy" not in text, "fuzzy translations in django.po"
    entries = {}
    for block in text.split("\n\n")[1:]:
        msgid = "".join(re.findall(r'"(.*)"', block.split("msgstr")[0]))
        msgstr = (
            "".join(re.findall(r'"(.*)"', block.split("msgstr")[1])) if "msgstr" in block else ""
        )
        if msgid:
            entries[msgid.replace('\\"', '"')] = msgstr.replace('\\"', '"')
    return entries


def test_every_string_is_translated_and_the_compiled_catalogue_is_current():
    entries = _po_entries()
    assert len(entries) >= 30
    missing = [k for k, v in entries.items() if not v]
    assert not missing, missing
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [k for k, v in entries.items() if compiled.gettext(k) != v]
    assert not stale, f"recompile: msgfmt -o django.mo django.po ({stale[:3]})"
