"""How a refusal travels back to whoever sent the decision: its reason, without a stack trace."""

from temporalio.api.failure.v1 import Failure
from temporalio.converter import DefaultFailureConverter, PayloadConverter
from temporalio.exceptions import ApplicationError

REFUSAL_ERROR_TYPE = "DecisionRejected"
"""The failure type callers see for a refused update (public: clients match on it)."""


def refusal_error(reason: str) -> ApplicationError:
    """A refusal as an update's failure. Its reason is built from rule texts, field names and
    staff ids only, never from a case's personal data, so it may travel unencrypted to the UI's
    dialog."""
    return ApplicationError(reason, type=REFUSAL_ERROR_TYPE, non_retryable=True)


class StaffFailureConverter(DefaultFailureConverter):
    """The UI shows a failure's stack trace under its message; for a rule staff broke, the
    message is the whole story and the trace only hides it. With ``encode_common_attributes``
    (payload encryption on) every other failure's message and trace travel encrypted, while a
    refusal stays readable: the UI's update dialog does not decode failures."""

    def __init__(self, *, encode_common_attributes: bool = False) -> None:
        super().__init__(encode_common_attributes=encode_common_attributes)
        self._plain = DefaultFailureConverter()

    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure
    ) -> None:
        if isinstance(exception, ApplicationError) and exception.type == REFUSAL_ERROR_TYPE:
            self._plain.to_failure(exception, payload_converter, failure)
            failure.stack_trace = ""
            return
        super().to_failure(exception, payload_converter, failure)


class EncryptedStaffFailureConverter(StaffFailureConverter):
    """With payload encryption: messages and traces travel in the (encrypted) attributes."""

    def __init__(self) -> None:
        super().__init__(encode_common_attributes=True)
