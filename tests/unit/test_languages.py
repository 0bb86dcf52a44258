"""Letters in the correspondent's language: the catalogues agree, every letter is worded in each
language from the same case, and the mailbox reads and answers Spanish."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from activities.catalogues import CATALOGUES, placeholders
from activities.letters import LETTER_KEYS, WITHHELD_KEY, Letter, correspondent_letter
from activities.postbox import Postbox
from domain import outbox
from domain.inquiry import Submission
from domain.language import Language
from domain.notices import Correspondent, Notice, NoticeKind, RecipientKind
from domain.stage import Finding
from mailroom.answers import problem_in
from mailroom.labels import LABELS, SPANISH
from mailroom.letter import MAX_ATTACHMENTS
from mailroom.template import (
    FORM_ITEM,
    language_of,
    read_fields,
    read_inquiry,
)
from settings import Settings
from tests.support import represented, sro_submission
from tests.unit.cases import at_sro, in_review
from workflows.details import current_details

ROOT = Path(__file__).resolve().parents[2]
EN, ES = CATALOGUES[Language.EN], CATALOGUES[Language.ES]


def test_every_language_has_a_catalogue() -> None:
    assert set(CATALOGUES) == set(Language)


@pytest.mark.parametrize("language", [lang for lang in Language if lang is not Language.EN])
def test_every_catalogue_has_every_text_with_the_same_placeholders(language: Language) -> None:
    """A missing key, a stray one, or a placeholder more or less than English fails."""
    other = CATALOGUES[language]
    assert sorted(set(EN) - set(other)) == [], f"missing in {language}"
    assert sorted(set(other) - set(EN)) == [], f"stray in {language}"
    differ = {k: (placeholders(EN[k]), placeholders(other[k])) for k in EN}
    assert {k: v for k, v in differ.items() if v[0] != v[1]} == {}


def test_the_placeholder_check_sees_a_missing_and_a_stray_placeholder() -> None:
    assert placeholders("case {case}: {finding}") == {"case", "finding"}
    assert placeholders("{case}") != placeholders("{case} {text}")
    assert placeholders("no {{braces}} here") == frozenset()


def test_every_letter_has_its_subject_body_and_note_in_each_catalogue() -> None:
    for key in [*LETTER_KEYS.values(), WITHHELD_KEY]:
        for part in ("subject", "body", "note"):
            assert f"{key}.{part}" in EN, f"{key}.{part}"
    assert {
        f"missing.{item}"
        for item in Submission.model_validate(represented(form=None)).missing_items()
    } | {"missing.requestor.phone", "missing.requestor.email"} <= set(EN)
    assert {f"finding.{f}" for f in Finding} <= set(EN)


def _notices() -> list[Notice]:
    """One notice of each correspondent kind, all from the same case."""
    case = in_review()
    return [
        outbox.local_response(case, Finding.MEETS_PRIORITIES, "Reviewed locally."),
        outbox.inquiry_received(case),
        outbox.missing_information(case, datetime(2026, 11, 2, 17, tzinfo=UTC)).model_copy(
            update={"missing_items": ["subject.date_of_birth", "requestor.phone"]}
        ),
        outbox.withdrawn(case),
        outbox.determination(case, Finding.DOES_NOT_MEET_PRIORITIES, "Strong equities."),
    ]


def _in(language: Language, notice: Notice) -> Letter:
    [requestor] = [to for to in notice.to if to.kind is RecipientKind.REQUESTOR]
    return correspondent_letter(notice, requestor.model_copy(update={"language": language}))


@pytest.mark.parametrize("notice", _notices(), ids=lambda n: str(n.kind))
def test_each_notice_is_worded_in_both_languages_from_the_same_case(notice: Notice) -> None:
    assert {n.kind for n in _notices()} == set(LETTER_KEYS)
    english, spanish = _in(Language.EN, notice), _in(Language.ES, notice)
    for letter in (english, spanish):
        assert letter.subject.startswith(f"[{notice.case_id}] ")
        assert not re.search(r"[{}]", letter.subject + letter.body), "a placeholder left"
    assert english.body.splitlines()[0].startswith("Español: hay disponible")
    assert english.body.splitlines()[2] == "Dear Maria Lopez Garcia,"
    assert spanish.body.splitlines()[0].startswith(f"English: ICE case review {notice.case_id}, ")
    assert spanish.body.splitlines()[2] == "Estimado/a Maria Lopez Garcia:"
    assert "Revisión de Casos de ICE" in spanish.body and "do not reply" not in spanish.body
    assert english.subject != spanish.subject


def test_the_english_words_are_those_of_before_and_the_spanish_ones_their_own() -> None:
    by_kind = {n.kind: n for n in _notices()}
    decided = by_kind[NoticeKind.DETERMINATION]
    assert _in(Language.EN, decided).body.split("\n\n", 1)[1] == (
        "Dear Maria Lopez Garcia,\n\nThe Senior Reviewing Official reviewed case "
        "ICR-UNITTEST0001 and determined that the case does not meet ICE's priorities for "
        "enforcement, detention and removal.\n\nStrong equities.\n\nICE Case Review (ICR)\n"
        "This message was sent automatically; do not reply."
    )
    assert "no cumple las prioridades de ICE" in _in(Language.ES, decided).body
    missing = by_kind[NoticeKind.INFORMATION_MISSING]
    assert "by November 2, 2026;" in _in(Language.EN, missing).body
    spanish = _in(Language.ES, missing).body
    assert "a más tardar el 2 de noviembre de 2026;" in spanish
    assert "- la fecha de nacimiento de la persona" in spanish
    assert "- un número de teléfono" in spanish


def test_a_spanish_requestor_and_an_english_representative_each_get_their_own() -> None:
    data = represented()
    data["requestor"] = {**sro_submission()["requestor"], "language": "es"}
    data["representative"] = {**data["representative"], "language": "en"}
    case = in_review(**{k: v for k, v in data.items() if k != "entry"})
    status = case.status()
    assert (status.language, status.representative_language) == ("es", "en")
    assert "**Letters in:** `es` · representative `en`" in current_details(status)
    notice = outbox.determination(case, Finding.MEETS_PRIORITIES, "r")
    postbox = Postbox(Settings(), None)  # type: ignore[arg-type]
    letters = {d.kind: d.letter for d in postbox.deliveries(notice)}
    assert letters[RecipientKind.REQUESTOR].subject.endswith(
        "Determinación de la revisión del caso"
    )
    assert letters[RecipientKind.REPRESENTATIVE].subject.endswith("Case review determination")
    # Unset, the representative reads the requestor's language.
    del data["representative"]["language"]
    case = in_review(**{k: v for k, v in data.items() if k != "entry"})
    assert case.status().representative_language == "es"


def test_a_case_file_of_before_the_language_still_parses() -> None:
    case = at_sro()
    dumped = case.model_dump(mode="json")
    del dumped["submission"]["requestor"]["language"]
    assert type(case).model_validate(dumped).submission.requestor.language is Language.EN
    old = Correspondent.model_validate({"kind": "REQUESTOR", "name": "n", "email": None})
    assert old.language is Language.EN


def _spanish_template() -> str:
    doc = (ROOT / "docs/inquiry-email.md").read_text()
    return doc.split("## En español", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]


def test_the_documented_spanish_template_opens_a_spanish_case() -> None:
    text = _spanish_template()
    fields = read_fields(text)
    assert language_of(text, fields) is Language.ES
    reading = read_inquiry(fields, "mail-1", None, language_of(text, fields))
    assert reading.missing == [] and reading.invalid == []
    assert reading.submission is not None
    assert reading.submission.requestor.language is Language.ES
    assert reading.submission.subject.given_name == "María"  # values keep their accents


def test_spanish_labels_read_with_or_without_accents_and_values_in_spanish() -> None:
    accents = "Número A: A-012-345-678\nTeléfono: 2125550143\nDetenido: sí\nOficina: Nueva York"
    plain = "NUMERO A: A-012-345-678\ntelefono: 2125550143\nDetenido: sí\nOficina: Nueva York"
    assert read_fields(accents) == read_fields(plain)
    fields = read_fields(accents)
    assert read_inquiry({"Detained": "si"}, "m", None).invalid == []
    assert fields["A-Number"] == "A-012-345-678" and fields["Phone"] == "2125550143"
    reading = read_inquiry(fields, "mail-1", None, Language.ES)
    assert not any(p.startswith(("Detained", "Field office")) for p in reading.invalid)
    assert language_of("Phone: 1\nEmail: a@b.c\nNombre: x", read_fields("")) is Language.EN
    assert language_of("Phone: 1\nIdioma: español", {"Language": "español"}) is Language.ES
    assert language_of("Teléfono: 1\nLanguage: en", {"Language": "en"}) is Language.EN


def test_the_mailbox_names_problems_in_the_reader_s_language() -> None:
    fields = read_fields("Nombre: x\nDetenido: quizá\nIdioma: klingon")
    reading = read_inquiry(fields, "mail-1", None, Language.ES)
    problems = [problem_in(Language.ES, p) for p in [*reading.missing, *reading.invalid]]
    assert "Detenido: responda sí o no" in problems
    assert "Idioma: escriba es o en" in problems
    assert "Número A" in problems and "A-Number" not in problems
    assert problem_in(Language.ES, FORM_ITEM).startswith("el Formulario G-28")
    assert [problem_in(Language.EN, p) for p in reading.invalid] == reading.invalid
    assert set(SPANISH) == set(LABELS)
    assert EN["problem.form_item"] == FORM_ITEM
    assert EN["reason.too_many"].format(count=MAX_ATTACHMENTS) == (
        f"more than {MAX_ATTACHMENTS} attachments"
    )


def test_a_representative_without_a_form_hears_only_that_a_response_exists_in_either() -> None:
    decided = next(n for n in _notices() if n.kind is NoticeKind.DETERMINATION)
    rep = Correspondent(
        kind=RecipientKind.REQUESTOR, name="Dana", email="d@x.example", is_representative=True
    )
    for language, words in ((Language.EN, "A response exists"), (Language.ES, "Existe una")):
        letter = correspondent_letter(decided, rep.model_copy(update={"language": language}))
        assert words in letter.body and "Strong equities." not in letter.body
