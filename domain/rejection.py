"""How a refused decision travels back to staff: its reason, without a Python stack trace."""

from temporalio.api.failure.v1 import Failure
from temporalio.converter import DefaultFailureConverter, PayloadConverter
from temporalio.exceptions import ApplicationError

REJECTED = "DecisionRejected"


def rejected(reason: str) -> ApplicationError:
    return ApplicationError(reason, type=REJECTED, non_retryable=True)


class StaffFailureConverter(DefaultFailureConverter):
    """The UI shows a failure's stack trace under its message; for a rule staff broke, the
    message is the whole story and the trace only hides it."""

    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure
    ) -> None:
        super().to_failure(exception, payload_converter, failure)
        if isinstance(exception, ApplicationError) and exception.type == REJECTED:
            failure.stack_trace = ""
