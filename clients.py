"""One way to reach Temporal, for the worker, the starter, the CLI and the tests alike."""

import asyncio
import dataclasses
import logging
import re
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Self

from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, SerializationContext
from temporalio.envconfig import ClientConfigProfile
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)
from temporalio.service import RPCError, RPCStatusCode

from security import configured
from security.client_credentials import AccessToken, ClientCredentials, Refresher, bearer
from security.codec import EncryptionCodec
from security.readable import ArgumentsAsSent, ReadableCodec
from security.remote_codec import RemoteCodec
from settings import Settings, plain
from workflows.metrics import STAGE_BUCKETS_SECONDS, STAGE_DURATION
from workflows.refusals import EncryptedStaffFailureConverter, StaffFailureConverter
from workflows.search_attributes import REGISTRATION


@dataclasses.dataclass(frozen=True)
class BoundOnceConverter(DataConverter):
    """The SDK's converter, remembering what it bound to each context.

    The SDK asks for a converter bound to a context for nearly every payload it converts (each
    activation, command and activity result), and our codecs bind to the case, so each ask
    would clone the converter: ``dataclasses.replace`` runs ``__post_init__``, which builds a
    new pydantic payload converter and two failure converters only to drop them. A case has a
    handful of contexts (its workflow's, one per activity type), so their converters are kept,
    a bounded number, and are the SDK's own answer for that context."""

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "_bound", {})
        object.__setattr__(self, "_binding", threading.Lock())

    def with_context(self, context: SerializationContext) -> Self:
        bound: dict[SerializationContext, Self] = self._bound  # type: ignore[attr-defined]
        known = bound.get(context)
        if known is not None:
            return known
        made = super().with_context(context)
        with self._binding:  # type: ignore[attr-defined]
            if len(bound) >= CONTEXTS_KEPT:
                bound.pop(next(iter(bound)))  # the oldest: a case long gone, most likely
            bound[context] = made
        return made

    async def _decode_reference_payload_sequence(
        self, payloads: Sequence[Payload]
    ) -> list[Payload]:
        """No external storage here, so no payload is a reference to fetch. The SDK's own pass
        raises for a payload that merely claims to be one (metadata any sender can write), which
        fails the workflow task on every retry: a frozen case. Left as sent, such a payload
        reaches the case's reader and is refused in words; and no pass walks every argument
        of a signal that carries thousands."""
        if self.external_storage is not None:
            return await super()._decode_reference_payload_sequence(payloads)
        return payloads  # type: ignore[return-value]  # the same sequence: nothing to copy

    async def _external_retrieve_payload_sequence(
        self, payloads: Sequence[Payload]
    ) -> list[Payload]:
        """As above, for the retrieval pass."""
        if self.external_storage is not None:
            return await super()._external_retrieve_payload_sequence(payloads)
        return payloads  # type: ignore[return-value]


CONTEXTS_KEPT = 4096
"""About a thousand cases at work at once, a few contexts each; an entry is a few small
objects sharing the keys and ciphers."""

DATA_CONVERTER = BoundOnceConverter(
    payload_converter_class=pydantic_data_converter.payload_converter_class,
    failure_converter_class=StaffFailureConverter,
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
    service = configured.service_identity(settings)
    return _sealing(settings, service.sign if service else None)


def _sealing(settings: Settings, sign: Callable[[Payload], Payload] | None) -> DataConverter:
    """Encrypted with the configured payload keys (failures too), stamped by ``sign`` when
    given; plain JSON when no keys are configured (development)."""
    keys = configured.keyring(settings)
    if keys is None:
        return DATA_CONVERTER
    return dataclasses.replace(
        DATA_CONVERTER,
        payload_codec=EncryptionCodec(keys, sign),
        failure_converter_class=EncryptedStaffFailureConverter,
    )


def worker_data_converter(settings: Settings) -> DataConverter:
    """The worker's converter: the payload keys, decoding that never raises, a call of several
    arguments left undecoded (``security.readable``), and no signer. What the worker writes
    (activity results, the carried case file) it seals for its case but never stamps, whatever
    identity the process also holds for its scheduled jobs (their client signs as that
    service): a case believes a notice outcome only unstamped, since a stamp means the codec
    server or a service sealed it (``workflows.notice_dispatch.read_outcome``)."""
    converter = _sealing(settings, None)
    return dataclasses.replace(
        converter,
        payload_codec=ReadableCodec(converter.payload_codec),
        payload_converter_class=ArgumentsAsSent,
    )


def for_worker(client: Client, settings: Settings) -> Client:
    """The same connection, with the worker's converter."""
    config = client.config()
    config["data_converter"] = worker_data_converter(settings)
    return Client(**config)


def connect_config(settings: Settings, address: str | None = None) -> dict[str, Any]:
    """Temporal's own environment configuration (``temporalio.envconfig``): the profile named by
    ``TEMPORAL_PROFILE`` in ``TEMPORAL_CONFIG_FILE`` (or the default file), then every
    ``TEMPORAL_*`` variable (address, namespace, API key, TLS certificates and keys). An address
    or namespace set in the settings wins over the profile's."""
    config: dict[str, Any] = dict(ClientConfigProfile.load().to_client_connect_config())
    chosen = settings.model_fields_set
    if address or "temporal_address" in chosen or "target_host" not in config:
        config["target_host"] = address or settings.temporal_address
    if "temporal_namespace" in chosen or "namespace" not in config:
        config["namespace"] = settings.temporal_namespace
    if settings.temporal_api_key is not None:
        config["api_key"] = settings.temporal_api_key.get_secret_value()
        config.setdefault("tls", True)
    return config


class Unreachable(Exception):
    """No Temporal server answers at the configured address: one line, never a traceback."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(
            f"cannot reach Temporal at {target} ({reason}); is the server up? "
            "TEMPORAL_ADDRESS (or a TEMPORAL_PROFILE) chooses the server"
        )


def _reason(error: str) -> str:
    found = re.search(r'message: "([^"]+)"', error) or re.search(r"error: (.+?)(?:\(|$)", error)
    return (found.group(1) if found else error).strip()[:160]


def service_credentials(settings: Settings) -> ClientCredentials | None:
    """This service's client at the identity provider, when the frontend checks tokens."""
    if not settings.temporal_token_url:
        return None
    return ClientCredentials(
        settings.temporal_token_url,
        settings.temporal_client_id or "",
        plain(settings.temporal_client_secret),
        scope=settings.temporal_token_scope,
        resource=settings.temporal_token_resource,
    )


_REFRESHERS: set["asyncio.Task[None]"] = set()


async def connect(
    settings: Settings, *, address: str | None = None, runtime: Runtime | None = None
) -> Client:
    """The one client factory of worker, starter, CLI and tests. With ``ICR_TEMPORAL_TOKEN_URL``
    every call carries this service's access token, renewed before it expires (TokenRefused
    when the provider gives none); without it, nothing is added."""
    config = connect_config(settings, address)
    credentials = service_credentials(settings)
    token = await credentials.token() if credentials is not None else None
    if token is not None:
        config["rpc_metadata"] = {**config.get("rpc_metadata", {}), "authorization": bearer(token)}
    try:
        client = await Client.connect(
            **config, data_converter=data_converter(settings), runtime=runtime
        )
    except RuntimeError as exc:
        if not str(exc).startswith("Failed client connect"):
            raise
        raise Unreachable(config["target_host"], _reason(str(exc))) from None
    if credentials is not None and token is not None:
        # The connection is shared by every Client made from this one (the worker's): renew
        # the header on it for as long as any of them lives, then stop.
        connection = weakref.ref(client.service_client)

        def apply(fresh: AccessToken) -> bool:
            live = connection()
            if live is None:
                return False
            metadata = {**live.config.rpc_metadata, "authorization": bearer(fresh)}
            live.update_rpc_metadata(metadata)
            live.config.rpc_metadata = metadata
            return True

        task = asyncio.create_task(Refresher(credentials, apply).run(token))
        _REFRESHERS.add(task)
        task.add_done_callback(_REFRESHERS.discard)
    return client


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


def worker_runtime(metrics_address: str | None) -> Runtime:
    """The worker's runtime: the SDK core's own log lines forwarded to Python logging (so they
    come out through structlog, JSON in production), and, given an address, a Prometheus
    endpoint serving the SDK's metrics and the workflow's own."""
    metrics = (
        PrometheusConfig(
            bind_address=metrics_address,
            counters_total_suffix=True,
            durations_as_seconds=True,
            # Cases spend days in a stage, not the SDK default's seconds.
            histogram_bucket_overrides={STAGE_DURATION: STAGE_BUCKETS_SECONDS},
        )
        if metrics_address
        else None
    )
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(
                filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
            ),
            metrics=metrics,
        )
    )
