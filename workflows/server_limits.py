"""The server's own limits on what reaches a case, and where the case hands over to a new run.

A flood must never push a run's history to the server's 50 MB limit, at which the server
terminates the case. Two limits bound it whatever a sender does, set alike in every stack (the
dev server of ``make run`` and the tests, ``tools/devserver.py``; compose,
``deploy/temporal/dynamicconfig.yaml``; a test checks they agree): no payload over
``BLOB_SIZE_ERROR`` and no more than ``SIGNALS_PER_RUN`` signals a run, so signals can add at
most 40 MB to a run. The case continues as new well before the cap, which resets it.
"""

BLOB_SIZE_ERROR = 512 * 1024
"""``limit.blobSize.error``: the largest payload the server takes. A decision is at most a few
tens of kilobytes (documents travel outside the history); the largest payload is the case file
that continue-as-new carries, kept under ``domain.bounds.CARRY_LIMIT_BYTES``."""
BLOB_SIZE_WARN = 256 * 1024
"""``limit.blobSize.warn``: the server logs payloads over this."""
SIGNALS_PER_RUN = 80
"""``history.maximumSignalsPerExecution``: past it the server refuses a run's signals."""
SIGNALS_BEFORE_CONTINUING = 60
"""A run that took this many signals continues as new at its next step."""
IN_FLIGHT_UPDATE_PAYLOADS = 2 * 1024 * 1024
"""``history.maxInFlightUpdatePayloads``: the requests of a run's updates in flight together.
A worker's answer to a task repeats every update request it refuses; ten refused requests at
the payload limit would make that answer larger than the server's 4 MB message limit, and the
server terminates a case whose task it cannot read (``GrpcMessageTooLarge``)."""
UPDATES_BEFORE_CONTINUING = 1500
"""Likewise for updates (the server takes at most 2,000 a run, ``history.maxTotalUpdates``)."""

DYNAMIC_CONFIG: dict[str, int] = {
    "limit.blobSize.error": BLOB_SIZE_ERROR,
    "limit.blobSize.warn": BLOB_SIZE_WARN,
    "history.maximumSignalsPerExecution": SIGNALS_PER_RUN,
    "history.maxInFlightUpdatePayloads": IN_FLIGHT_UPDATE_PAYLOADS,
}
"""The dynamic config every stack sets (key: value)."""
