"""The bench's worker process: the case-review worker and the bare baseline's, one client."""

import asyncio
import signal

from temporalio.worker import Worker

import logs
from bench.bare import BareNotices, BareWorkflow
from clients import connect, for_worker
from sandbox import workflow_runner
from settings import get_settings
from store.ledger import NoticeLedger
from store.shared import database_for
from worker import build_worker


async def main() -> None:
    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)  # to stderr, never the ready pipe
    client = await connect(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # The floor runs with the case's converter (encryption, readable markers) and sandbox.
    bare = Worker(
        for_worker(client, settings),
        task_queue="bench-bare",
        workflows=[BareWorkflow],
        activities=[BareNotices(NoticeLedger(database_for(settings))).bare_send],
        workflow_runner=workflow_runner("bench"),
        max_cached_workflows=settings.max_cached_workflows,
    )
    async with build_worker(client, settings), bare:
        print("ready", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
