"""The keys this process was configured with: read from the settings' values and files.

Settings only reads the environment; the key types are the primitives', so the parsing lives
here, one layer above the settings."""

from security.keys import KeyRing
from security.signing import ServiceKey, StampKeys, parse_public_keys
from settings import DEV_KEY_FILE, DEV_STAMP_KEY_FILE, Settings


def keyring(settings: Settings) -> KeyRing | None:
    """The payload keys, or None when none are configured (development only)."""
    if settings.payload_keys and settings.payload_keys.get_secret_value():
        return KeyRing.parse(settings.payload_keys.get_secret_value())
    if settings.payload_key_file is not None:
        return KeyRing.load(settings.payload_key_file)
    if DEV_KEY_FILE.is_file():  # the key file `make run` generated for development
        return KeyRing.load(DEV_KEY_FILE)
    return None


def stamp_keys(settings: Settings) -> StampKeys | None:
    """The codec server's signing keys, or None when none are configured."""
    if settings.stamp_keys_spec:
        return StampKeys.parse(settings.stamp_keys_spec)
    if settings.stamp_key_file is not None:
        return StampKeys.load(settings.stamp_key_file)
    if DEV_STAMP_KEY_FILE.is_file():
        return StampKeys.load(DEV_STAMP_KEY_FILE)
    return None


def stamp_verifying_keys(settings: Settings) -> dict[str, str]:
    """The public keys workers accept codec-server stamps under (several during rotation)."""
    if settings.stamp_public_keys:
        return parse_public_keys(settings.stamp_public_keys)
    keys = stamp_keys(settings)
    return keys.public_keys() if keys is not None else {}


def service_identity(settings: Settings) -> ServiceKey | None:
    """The key this process signs with as a service identity (an integrating system)."""
    if settings.service_key:
        return ServiceKey.parse(settings.service_key)
    if settings.service_key_file is not None:
        return ServiceKey.parse(settings.service_key_file.read_text())
    return None
