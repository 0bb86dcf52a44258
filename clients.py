"""One way to reach Temporal, for the worker, the starter, the CLI and the tests alike."""

import dataclasses

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.rejection import StaffFailureConverter
from settings import Settings

DATA_CONVERTER = dataclasses.replace(
    pydantic_data_converter, failure_converter_class=StaffFailureConverter
)


async def connect(settings: Settings, *, address: str | None = None) -> Client:
    return await Client.connect(
        address or settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=DATA_CONVERTER,
    )
