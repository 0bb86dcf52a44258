"""Connections as the ecosystem configures them: Temporal's envconfig profiles and variables,
settings that win when set, and secrets that never print."""

from pathlib import Path

import pytest

from clients import connect_config
from settings import Settings


def test_a_profile_file_chooses_server_namespace_and_api_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "temporal.toml"
    config.write_text(
        '[profile.prod]\naddress = "prod.example:7233"\nnamespace = "icr"\napi_key = "k-123"\n'
        '[profile.prod.tls]\nserver_name = "prod.example"\n'
    )
    for name in ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(config))
    monkeypatch.setenv("TEMPORAL_PROFILE", "prod")
    chosen = connect_config(Settings())
    assert chosen["target_host"] == "prod.example:7233" and chosen["namespace"] == "icr"
    assert chosen["api_key"] == "k-123" and chosen["tls"].domain == "prod.example"
    # An address set in the settings (variable or argument) wins over the profile's.
    monkeypatch.setenv("TEMPORAL_ADDRESS", "other.example:7233")
    assert connect_config(Settings())["target_host"] == "other.example:7233"
    assert connect_config(Settings(), "cli.example:1")["target_host"] == "cli.example:1"


def test_tls_and_api_key_from_temporal_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEMPORAL_CONFIG_FILE", raising=False)
    monkeypatch.delenv("TEMPORAL_PROFILE", raising=False)
    monkeypatch.setenv("TEMPORAL_ADDRESS", "tls.example:7233")
    monkeypatch.setenv("TEMPORAL_API_KEY", "secret-key")
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_NAME", "tls.example")
    settings = Settings()
    chosen = connect_config(settings)
    assert chosen["api_key"] == "secret-key" and chosen["tls"].domain == "tls.example"
    assert "secret-key" not in repr(settings) and "secret-key" not in str(settings.model_dump())


def test_secrets_never_print() -> None:
    settings = Settings(
        payload_keys="k1:AAAA",
        subject_key_secret="subject-secret",
        smtp_password="smtp-pw",
    )
    shown = repr(settings) + str(settings.model_dump())
    for secret in ("AAAA", "subject-secret", "smtp-pw"):
        assert secret not in shown, secret
