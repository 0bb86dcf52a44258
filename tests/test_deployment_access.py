"""The cluster stands up locked, checked statically (no container engine runs here): each check
would have caught one defect of the open cluster. No published frontend or gateway port; the
frontend's authorizer and claim mapper on, with the keys of the stack's own provider; every
service that talks to Temporal signs in with a client of the realm that carries the permission
it needs; the codec endpoint is HTTPS wherever the UI passes the token, and Caddy carries it
to the codec server; one issuer for the UI, the codec server and the frontend."""

import ipaddress
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from mailroom.door import relay_networks

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NEEDS = {"write": {"write", "admin"}, "admin": {"admin"}}
"""The default authorizer ranks worker < read < write < admin and a poll needs write: a worker
holds ``<namespace>:write`` (``worker`` alone cannot poll)."""
INTEGRATING_SYSTEM = "icr-intake-system"  # runs outside the stack: deploy/README.md


def _example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name] = value
    return pairs


def _resolve(text: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], text)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    text = _resolve((ROOT / "docker-compose.yml").read_text(), _example())
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@pytest.fixture(scope="module")
def realm_text() -> str:
    return (DEPLOY / "keycloak/icr-realm.json").read_text()


@pytest.fixture(scope="module")
def realm(realm_text: str, compose: dict[str, Any]) -> dict[str, Any]:
    """The realm as Keycloak imports it: its placeholders from Keycloak's own environment."""
    import json

    env = {k: str(v) for k, v in compose["services"]["keycloak"]["environment"].items()}
    data: dict[str, Any] = json.loads(_resolve(realm_text, env))
    return data


def _env(compose: dict[str, Any], service: str) -> dict[str, str]:
    return {k: str(v) for k, v in compose["services"][service].get("environment", {}).items()}


def _provider(compose: dict[str, Any]) -> str:
    (name,) = (
        n
        for n, s in compose["services"].items()
        if str(s.get("image", "")).startswith("quay.io/keycloak/keycloak:")
    )
    return str(name)


def _backchannel(compose: dict[str, Any], realm: dict[str, Any]) -> str:
    name = _provider(compose)
    (port,) = compose["services"][name]["expose"]
    return f"http://{name}:{port}/realms/{realm['realm']}"


def _issuer(compose: dict[str, Any], realm: dict[str, Any]) -> str:
    return f"{_env(compose, _provider(compose))['KC_HOSTNAME']}/realms/{realm['realm']}"


def test_no_published_frontend_and_the_gateway_only_on_the_relays_address(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert "ports" not in services["temporal"], "the frontend must not be published"
    for name, service in services.items():
        for mapping in service.get("ports", []):
            assert not str(mapping).endswith((":7233", ":7236")), (name, mapping)
    # Browsers reach the UI, the codec server and the sign-in only through Caddy's HTTPS.
    for name in ("temporal-ui", "codec-server", _provider(compose)):
        assert "ports" not in services[name], f"{name} is published past the TLS proxy"
    for mapping in services["mail-gateway"]["ports"]:
        host = str(mapping).rsplit(":", 2)[0] if str(mapping).count(":") == 2 else ""
        assert host and host not in ("0.0.0.0", "::"), f"gateway published to the world: {mapping}"
    assert _example()["ICR_RELAY_LISTEN_ADDRESS"] == "127.0.0.1"


def test_the_gateway_trusts_one_relay_address_no_container_can_hold(
    compose: dict[str, Any],
) -> None:
    """Issue 21: 172.16.0.0/12 made every container a relay (its Authentication-Results
    believed). Now one host: the fixed network's gateway address, the host side docker's proxy
    connects from when the relay delivers to the published loopback port."""
    spec = str(_env(compose, "mail-gateway")["ICR_INBOUND_RELAYS"])
    default = re.fullmatch(r"\$\{ICR_INBOUND_RELAYS:-([^}]+)\}", spec)
    assert default, f"the operator's relays or one default address: {spec}"
    ipam = compose["networks"]["default"]["ipam"]["config"]
    assert len(ipam) == 1, "one subnet, so the gateway address is the only host side"
    subnet = ipaddress.ip_network(ipam[0]["subnet"])
    gateway = ipaddress.ip_address(ipam[0]["gateway"])
    assert gateway in subnet
    relays = relay_networks(default.group(1))
    assert relays == (ipaddress.ip_network(gateway),), relays  # a /32 (or /128): one host
    for name, service in compose["services"].items():
        networks = service.get("networks", {})
        for attached in networks.values() if isinstance(networks, dict) else ():
            fixed = (attached or {}).get("ipv4_address") or (attached or {}).get("ipv6_address")
            assert fixed is None or ipaddress.ip_address(fixed) != gateway, name
        assert service.get("network_mode") is None, f"{name} outside the fixed network"
    if "ICR_INBOUND_RELAYS" in _example():  # an operator's list: single hosts only
        for network in relay_networks(_example()["ICR_INBOUND_RELAYS"]):
            assert network.num_addresses == 1, network


def test_the_frontend_checks_tokens_with_the_stacks_provider_keys(
    compose: dict[str, Any], realm: dict[str, Any]
) -> None:
    env = _env(compose, "temporal")
    assert env["TEMPORAL_AUTH_AUTHORIZER"] == "default"
    assert env["TEMPORAL_AUTH_CLAIM_MAPPER"] == "default"
    assert (
        env["TEMPORAL_JWT_KEY_SOURCE1"]
        == f"{_backchannel(compose, realm)}/protocol/openid-connect/certs"
    )
    assert env.get("TEMPORAL_JWT_PERMISSIONS_CLAIM", "permissions") == "permissions"
    assert env["USE_INTERNAL_FRONTEND"] == "true", "the server's own worker would be locked out"
    depends = compose["services"]["temporal"]["depends_on"][_provider(compose)]
    assert depends["condition"] == "service_healthy"
    assert realm["defaultSignatureAlgorithm"] in ("RS256", "ES256")  # what the mapper verifies
    dynamic = yaml.safe_load((DEPLOY / "temporal/dynamicconfig.yaml").read_text())
    assert dynamic["frontend.enablePrincipalPropagation"] == [{"value": True}]


def _service_clients(realm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["clientId"]: c for c in realm["clients"] if c.get("serviceAccountsEnabled")}


def _permissions(realm: dict[str, Any], username: str) -> set[str]:
    (user,) = (u for u in realm["users"] if u["username"] == username)
    return set(user.get("clientRoles", {}).get("icr-temporal", []))


def _level(realm: dict[str, Any], username: str, namespace: str) -> set[str]:
    return {
        p.split(":", 1)[1] for p in _permissions(realm, username) if p.startswith(f"{namespace}:")
    }


def test_every_service_that_talks_to_temporal_signs_in_with_its_own_client(
    compose: dict[str, Any], realm: dict[str, Any]
) -> None:
    clients = _service_clients(realm)
    token_url = f"{_backchannel(compose, realm)}/protocol/openid-connect/token"
    namespace = _example()["TEMPORAL_NAMESPACE"]
    raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    keycloak_env = raw[_provider(compose)]["environment"]
    talking = {
        n for n, s in compose["services"].items() if "TEMPORAL_ADDRESS" in s.get("environment", {})
    }
    assert {"worker", "codec-server", "mail-gateway", "temporal-setup", "temporal-ui"} <= talking
    used = set()
    for name in sorted(talking - {"temporal-ui"}):
        env = _env(compose, name)
        assert env.get("ICR_TEMPORAL_TOKEN_URL") == token_url, f"{name} has no credentials"
        client_id = env["ICR_TEMPORAL_CLIENT_ID"]
        assert client_id in clients, f"{name}: {client_id} is no service client of the realm"
        assert client_id not in used, f"{client_id} is shared: each service has its own"
        used.add(client_id)
        secret = raw[name]["environment"]["ICR_TEMPORAL_CLIENT_SECRET"]
        variable = re.fullmatch(r"\$\{(\w+)\}", secret)
        assert variable, f"{name}: its client secret must come from .env"
        assert keycloak_env[variable.group(1)] == secret, f"{name}: Keycloak has another secret"
        assert clients[client_id]["secret"] == _example()[variable.group(1)]
        need = "admin" if name == "temporal-setup" else "write"
        held = _level(realm, f"service-account-{client_id}", namespace)
        assert held & NEEDS[need], f"{client_id} lacks {namespace}:{need} (holds {held})"
    # The UI carries each person's own token to the frontend.
    assert _env(compose, "temporal-ui")["TEMPORAL_AUTH_ENABLED"] == "true"
    # The setup job's every call but the health check carries its token.
    script = (DEPLOY / "temporal/setup-namespace.sh").read_text().replace("\\\n", " ")
    calls = [c.strip() for c in re.split(r"\|\||&&|\||;|\n|\$\(", script)]
    for call in (c for c in calls if c.startswith("temporal ")):
        assert "cluster health" in call or '--grpc-meta "$auth"' in call, call
    assert "--api-key" not in script


def test_the_codec_endpoint_is_https_wherever_the_ui_passes_the_token(
    compose: dict[str, Any],
) -> None:
    caddy = _caddy_sites(compose)
    for name, service in compose["services"].items():
        env = {k: str(v) for k, v in service.get("environment", {}).items()}
        if env.get("TEMPORAL_CODEC_PASS_ACCESS_TOKEN", "false").lower() == "true":
            endpoint = urlsplit(env["TEMPORAL_CODEC_ENDPOINT"])
            assert endpoint.scheme == "https", f"{name}: the UI sends no token to plain http"
            upstream = caddy[endpoint.netloc]
            codec_port = _env(compose, "codec-server")["ICR_CODEC_ADDRESS"].rsplit(":", 1)[1]
            assert upstream == f"codec-server:{codec_port}", upstream
            ui_host = urlsplit(_env(compose, "codec-server")["ICR_CODEC_UI_ORIGIN"]).netloc
            assert caddy[ui_host] == "temporal-ui:8080"
    assert _env(compose, "codec-server")["ICR_CODEC_COOKIE_SECURE"] == "true"
    assert "443:443" in compose["services"]["caddy"]["ports"]


def _caddy_sites(compose: dict[str, Any]) -> dict[str, str]:
    """Each site name of the Caddyfile (placeholders as compose sets them) and its upstream."""
    env = _env(compose, "caddy")
    text = re.sub(
        r"\{\$(\w+)\}", lambda m: env[m.group(1)], (DEPLOY / "caddy/Caddyfile").read_text()
    )
    sites = {}
    for host, body in re.findall(r"^([\w.-]+) \{\n(.*?)^\}", text, flags=re.M | re.S):
        assert "tls " in body, f"{host}: no TLS"
        (upstream,) = re.findall(r"reverse_proxy (\S+)", body)
        sites[host] = upstream
    return sites


def test_one_issuer_for_the_ui_the_codec_server_and_the_frontend(
    compose: dict[str, Any], realm: dict[str, Any]
) -> None:
    issuer = _issuer(compose, realm)
    ui, codec = _env(compose, "temporal-ui"), _env(compose, "codec-server")
    assert ui["TEMPORAL_AUTH_ISSUER_URL"] == issuer == codec["ICR_OIDC_ISSUER"]
    assert ui["TEMPORAL_AUTH_PROVIDER_URL"] == _backchannel(compose, realm)
    assert codec["ICR_OIDC_JWKS_URL"] == _env(compose, "temporal")["TEMPORAL_JWT_KEY_SOURCE1"]
    # The browser reaches the issuer through Caddy, at the provider.
    assert _caddy_sites(compose)[urlsplit(issuer).netloc] == f"{_provider(compose)}:8080"
    # The UI's client signs staff in and calls back to the UI; its tokens carry the audience the
    # codec server checks, and the permissions the frontend reads.
    (ui_client,) = (c for c in realm["clients"] if c["clientId"] == ui["TEMPORAL_AUTH_CLIENT_ID"])
    assert ui_client["standardFlowEnabled"] and not ui_client.get("directAccessGrantsEnabled")
    assert ui["TEMPORAL_AUTH_CALLBACK_URL"] in ui_client["redirectUris"]
    # Mappers on the clients themselves: a realm file naming client scopes would replace
    # Keycloak's default ones (profile: preferred_username; basic: sub) on import.
    assert "clientScopes" not in realm
    for client in [ui_client, *_service_clients(realm).values()]:
        mappers = client["protocolMappers"]
        audiences = {m["config"].get("included.custom.audience") for m in mappers}
        assert codec["ICR_OIDC_AUDIENCE"] in audiences, client["clientId"]
        claims = {m["config"].get("claim.name") for m in mappers}
        assert "permissions" in claims, client["clientId"]


def test_the_realms_clients_match_the_services_and_staff(
    compose: dict[str, Any], realm: dict[str, Any], realm_text: str
) -> None:
    import json

    used = {_env(compose, n).get("ICR_TEMPORAL_CLIENT_ID") for n in compose["services"]} - {None}
    assert set(_service_clients(realm)) == used | {INTEGRATING_SYSTEM}
    assert INTEGRATING_SYSTEM in (DEPLOY / "README.md").read_text()
    # Every placeholder of the realm is set in Keycloak's environment (else it imports "${…}").
    keycloak_env = compose["services"][_provider(compose)]["environment"]
    assert set(re.findall(r"\$\{(\w+)\}", realm_text)) <= set(keycloak_env)
    namespace = _example()["TEMPORAL_NAMESPACE"]
    roles = {r["name"] for r in realm["roles"]["client"]["icr-temporal"]}
    assert roles == {f"{namespace}:{level}" for level in ("read", "write", "admin")}
    for user in realm["users"]:
        assert _permissions(realm, user["username"]) <= roles, user["username"]
    # Every person of the staff directory can sign in; nobody signs in as a service identity.
    directory = json.loads((ROOT / "config/staff-directory.json").read_text())["staff"]
    people = {m["id"] for m in directory if not m.get("service")}
    services = {m["id"] for m in directory if m.get("service")}
    usernames = {u["username"] for u in realm["users"] if "serviceAccountClientId" not in u}
    assert people <= usernames and not services & usernames
    for user in realm["users"]:
        if "serviceAccountClientId" not in user:
            (credential,) = user["credentials"]
            assert (
                credential["temporary"]
                and credential["value"] == _example()["ICR_FIRST_DAY_PASSWORD"]
            )
