"""One way to reach Temporal, for the worker, the starter, the CLI and the tests alike."""

import dataclasses

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode

from security.codec import EncryptionCodec
from security.readable import ReadableCodec
from security.remote_codec import RemoteCodec
from settings import Settings
from workflows.metrics import STAGE_BUCKETS_SECONDS, STAGE_DURATION
from workflows.refusals import EncryptedStaffFailureConverter, StaffFailureConverter
from workflows.search_attributes import REGISTRATION

DATA_CONVERTER = dataclasses.replace(
    pydantic_data_converter, failure_converter_class=StaffFailureConverter
)


def staff_token(settings: Settings) -> str | None:
    """The person's codec-server token (``ICR_STAFF_TOKEN`` or ``ICR_STAFF_TOKEN_FILE``)."""
    if settings.staff_token:
        return settings.staff_token.strip()
    if settings.staff_token_file is not None:
        return settings.staff_token_file.read_text().strip()
    return None


def data_converter(settings: Settings) -> DataConverter:
    """Pydantic JSON, encrypted with the configured payload keys (failures too); stamped with
    the service identity's key when this process is one (an integrating system's starter).
    With a staff token and ``ICR_CODEC_ENDPOINT``, the codec server encodes and stamps instead
    (staff tools: what they send is signed as the person the token names)."""
    token = staff_token(settings)
    if token and settings.codec_endpoint:
        return dataclasses.replace(
            DATA_CONVERTER,
            payload_codec=RemoteCodec(settings.codec_endpoint, token),
            failure_converter_class=EncryptedStaffFailureConverter,
        )
    keys = settings.keyring()
    if keys is None:
        return DATA_CONVERTER
    service = settings.service_identity()
    return dataclasses.replace(
        DATA_CONVERTER,
        payload_codec=EncryptionCodec(keys, service.sign if service else None),
        failure_converter_class=EncryptedStaffFailureConverter,
    )


def worker_data_converter(settings: Settings) -> DataConverter:
    """The worker's converter: as above, but decoding never raises (``security.readable``)."""
    converter = data_converter(settings)
    return dataclasses.replace(converter, payload_codec=ReadableCodec(converter.payload_codec))


def for_worker(client: Client, settings: Settings) -> Client:
    """The same connection, with the worker's converter."""
    config = client.config()
    config["data_converter"] = worker_data_converter(settings)
    return Client(**config)


async def connect(
    settings: Settings, *, address: str | None = None, runtime: Runtime | None = None
) -> Client:
    """The one client factory of worker, starter, CLI and tests."""
    return await Client.connect(
        address or settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        runtime=runtime,
    )


_INDEXED = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Bool": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
}


async def register_search_attributes(client: Client) -> None:
    """Register the contract's search attributes in the client's namespace (idempotent)."""
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        known = set(listed.custom_attributes)
    except RPCError as exc:  # the time-skipping test server cannot list them
        if exc.status is not RPCStatusCode.UNIMPLEMENTED:
            raise
        known = set()
    missing = {name: _INDEXED[kind] for name, kind in REGISTRATION.items() if name not in known}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )


def metrics_runtime(bind_address: str) -> Runtime:
    """A runtime whose Prometheus endpoint serves the SDK's metrics and the workflow's own."""
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(
                bind_address=bind_address,
                counters_total_suffix=True,
                durations_as_seconds=True,
                # Cases spend days in a stage, not the SDK default's seconds.
                histogram_bucket_overrides={STAGE_DURATION: STAGE_BUCKETS_SECONDS},
            )
        )
    )
