"""Normalized identifiers: A-numbers, telephone numbers and e-mail addresses.

Each is an ``Annotated`` type so that every model holding one normalizes it the same way and
every rejection names the rule that was broken.
"""

import hashlib
import hmac
import re
from typing import Annotated

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator

_A_NUMBER = re.compile(r"A(\d{7,9})")


def normalize_a_number(value: object) -> str:
    """``A`` plus 7-9 digits, dashes and spaces allowed; stored as ``A`` + 9 digits."""
    if not isinstance(value, str):
        raise ValueError("A-number must be a string like A123456789")
    compact = re.sub(r"[\s-]", "", value).upper()
    match = _A_NUMBER.fullmatch(compact)
    if match is None:
        raise ValueError(
            "A-number must be 'A' followed by 7 to 9 digits (dashes and spaces allowed)"
        )
    return "A" + match.group(1).zfill(9)


def normalize_phone(value: object) -> str:
    """Any dialable form; US numbers may omit the country code. Stored as E.164."""
    if not isinstance(value, str):
        raise ValueError("telephone number must be a string")
    try:
        parsed = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"telephone number is not a dialable number ({exc})") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("telephone number is not a valid number for its country")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(value: str) -> str:
    """Syntax check only: deliverability needs DNS, which a worker may not have."""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"e-mail address is not valid: {exc}") from None


ANumber = Annotated[str, BeforeValidator(normalize_a_number)]
Phone = Annotated[str, BeforeValidator(normalize_phone)]
Email = Annotated[str, AfterValidator(normalize_email)]


def subject_key(normalized_a_number: str, secret: str) -> str:
    """Keyed hash of the A-number: findable by whoever holds the key, unreadable to others."""
    return hmac.new(secret.encode(), normalized_a_number.encode(), hashlib.sha256).hexdigest()
