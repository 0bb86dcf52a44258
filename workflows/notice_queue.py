"""The notice task queue: notices leave the case's queue so that the server can hold every
worker together to the mail relay's quota (``max_task_queue_activities_per_second``)."""


def notice_queue(case_queue: str) -> str:
    return f"{case_queue}-notices"
