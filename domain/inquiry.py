"""The inquiry: who the case is about, who asks, and what the SRO needs to review it."""

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from domain.field_office import FieldOffice
from domain.identity import ANumber, Email, Phone
from domain.language import DEFAULT_LANGUAGE, Language
from domain.stage import Entry, Finding

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def schema_requires(name: str) -> dict[str, Any]:
    """JSON Schema for "``name`` is given and not null": a validator's rule, told to the
    published schema (``docs/schemas/``) so integrators learn it before they send."""
    return {"required": [name], "properties": {name: {"not": {"type": "null"}}}}


class Subject(_Model):
    """The noncitizen whose case is reviewed."""

    a_number: ANumber
    given_name: Name
    family_name: Name
    date_of_birth: date | None = None
    country_of_birth: Name | None = None


class RequestorKind(StrEnum):
    SELF = "SELF"
    REPRESENTATIVE = "REPRESENTATIVE"


class AuthorizationForm(StrEnum):
    G_28 = "G-28"
    ICE_60_001 = "ICE-60-001"


class Authorization(_Model):
    """A Form G-28 or ICE Form 60-001 on file: the only way information reaches a representative."""

    form: AuthorizationForm
    document_ref: ShortText


class Representative(_Model):
    name: Name
    email: Email
    phone: Phone
    organization: Name | None = None
    authorization: Authorization | None = None
    language: Language | None = None
    """The language of letters to the representative; unset, the requestor's."""


class Requestor(_Model):
    """Phone and e-mail may follow later; the SRO needs both before it reviews."""

    kind: RequestorKind
    name: Name
    phone: Phone | None = None
    email: Email | None = None
    language: Language = DEFAULT_LANGUAGE
    """The language of letters to the requestor (a default, so earlier inputs still parse)."""


class LocalResponse(_Model):
    """The local field office's answer, which opens the way to the SRO."""

    date: date
    finding: Finding
    summary: LongText


class Submission(_Model):
    """The start input of a case, exactly as the contract lists it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "allOf": [  # the schema's form of ``_entry_rules``
                {
                    "if": {
                        "required": ["requestor"],
                        "properties": {
                            "requestor": {
                                "required": ["kind"],
                                "properties": {"kind": {"const": RequestorKind.REPRESENTATIVE}},
                            }
                        },
                    },
                    "then": schema_requires("representative"),
                },
                {
                    "if": {
                        "required": ["entry"],
                        "properties": {"entry": {"const": Entry.SRO_INQUIRY}},
                    },
                    "then": schema_requires("local_response"),
                },
            ]
        },
    )

    request_id: (
        Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]
        | None
    ) = None
    entry: Entry = Entry.LOCAL_REVIEW
    field_office: FieldOffice
    subject: Subject
    requestor: Requestor
    representative: Representative | None = None
    detained: bool = False
    grounds: LongText
    local_response: LocalResponse | None = None
    contact_confirmed: bool = True
    """False when the names and contact details came from an e-mail (the inquiry mailbox), whose
    sender nothing proves: letters then greet by role, not by a name a stranger may have
    written, until the intake desk confirms them (``confirm_contact``, or its own entry)."""

    @model_validator(mode="after")
    def _entry_rules(self) -> Self:
        if self.requestor.kind is RequestorKind.REPRESENTATIVE and self.representative is None:
            raise ValueError("representative is required when requestor.kind is REPRESENTATIVE")
        if self.entry is Entry.SRO_INQUIRY and self.local_response is None:
            raise ValueError("local_response is required when entry is SRO_INQUIRY")
        return self

    @property
    def representative_authorized(self) -> bool:
        return self.representative is not None and self.representative.authorization is not None

    def with_items(
        self,
        *,
        date_of_birth: date | None = None,
        phone: str | None = None,
        email: str | None = None,
        authorization: Authorization | None = None,
        representative: Representative | None = None,
    ) -> Self:
        """The submission with items the requestor sent in later (already validated)."""
        subject = self.subject
        if date_of_birth is not None:
            subject = subject.model_copy(update={"date_of_birth": date_of_birth})
        requestor = self.requestor.model_copy(
            update={"phone": phone or self.requestor.phone, "email": email or self.requestor.email}
        )
        rep = representative or self.representative
        if authorization is not None and rep is not None:
            rep = rep.model_copy(update={"authorization": authorization})
        return self.model_copy(
            update={"subject": subject, "requestor": requestor, "representative": rep}
        )

    def confirmed(self) -> Self:
        """The submission once the intake desk has entered contact details of its own."""
        return (
            self if self.contact_confirmed else self.model_copy(update={"contact_confirmed": True})
        )

    def missing_items(self) -> list[str]:
        """What the SRO still needs for a complete inquiry, by field path."""
        missing = [
            path
            for path, value in (
                ("subject.date_of_birth", self.subject.date_of_birth),
                ("requestor.phone", self.requestor.phone),
                ("requestor.email", self.requestor.email),
            )
            if value is None
        ]
        if (
            self.requestor.kind is RequestorKind.REPRESENTATIVE
            and not self.representative_authorized
        ):
            missing.append("representative.authorization")
        return missing
