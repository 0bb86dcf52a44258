"""The codec server: knows who is signed in, stamps what they send, lets them read what they may.

``python -m codec_server``. POST ``/encode`` and ``/decode`` take and return
``{"payloads": [...]}`` in protobuf JSON, as the Temporal UI and CLI send them. A request names
its person by ``Authorization: Bearer TOKEN`` (a static ``staff_id:token`` pair or an OIDC access
token) or by the session cookie that POST ``/sign-in`` sets (HttpOnly, SameSite=Strict, this
host only): no token ever travels in a URL. ``/encode`` stamps every payload with the person's
Ed25519-signed stamp before sealing it, bound to the case the body names (``case_id``) or the
``X-Case-Id`` header names (a starter's workflow id; both must agree); each ``/decode`` is logged
(who, how many, never content).
"""

import argparse
import asyncio
import json
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import Client

import logs
from codec_server.decode_scope import CaseOffices, DecodeScope, encode_cases
from codec_server.document_reading import DocumentReading
from codec_server.sessions import COOKIE, LIFETIME_SECONDS, Sessions
from codec_server.tokens import AnyOf, Authenticator, OidcTokens, StaticTokens
from domain.access import may_read_case
from domain.field_office import FieldOffice
from domain.staff import StaffMember
from security import configured
from security.codec import CASE_HEADER, EncryptionCodec, UndecryptablePayload
from security.directory import DirectoryError, FileStaffDirectory, StaffDirectory
from security.keys import KeyRing
from security.signing import StampKeys
from settings import Settings, get_settings

log = structlog.get_logger("icr.codec")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
STAFF = web.RequestKey("staff", str)
MAX_DEPTH = 32

SIGN_IN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>ICR sign-in</title></head>
<body><h1>ICR codec server: sign in</h1>
<form method="post" action="/sign-in">
<label>Staff token <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">Sign in</button></form>{note}</body></html>"""


def _cors_headers(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, X-Namespace, Authorization",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


def _error(message: str, status: int, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers or None)


def _depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply ``value`` nests, counted without recursion (stops past ``limit``)."""
    deepest, stack = 0, [(value, 1)]
    while stack and deepest <= limit:
        item, level = stack.pop()
        deepest = max(deepest, level)
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        stack.extend((child, level + 1) for child in children)
    return deepest


def make_app(
    keys: KeyRing,
    authenticator: Authenticator,
    ui_origin: str,
    stamp_keys: StampKeys,
    directory: StaffDirectory | None = None,
    sessions: Sessions | None = None,
    secure_cookie: bool = False,
    documents: DocumentReading | None = None,
    offices: CaseOffices | None = None,
) -> web.Application:
    codec = EncryptionCodec(keys)
    scope = DecodeScope(codec, offices)
    sessions = sessions or Sessions()
    proxied = "https" if secure_cookie else None  # secure cookies: a TLS proxy in front

    async def who(request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return await authenticator.staff_id(header.removeprefix("Bearer ").strip())
        cookie = request.cookies.get(COOKIE)
        return sessions.staff_id(cookie) if cookie else None

    def member_of(staff_id: str) -> StaffMember | None:
        try:
            return directory.members().get(staff_id) if directory is not None else None
        except DirectoryError:
            return None

    def known(staff_id: str) -> bool:
        member = member_of(staff_id)
        return directory is None or (member is not None and not member.service)

    def may_read(staff_id: str, office: FieldOffice) -> bool:
        return directory is None or may_read_case(member_of(staff_id), office)

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        own = f"{proxied or request.scheme}://{request.host}"  # its sign-in form posts from here
        if origin == own and request.path in ("/sign-in", "/sign-out"):
            origin = None
        if origin is not None and origin != ui_origin:
            log.warning("security.codec_refused", reason="foreign origin")
            return _error("origin not allowed", 403)
        cors = _cors_headers(ui_origin) if origin else {}
        if request.method == "OPTIONS":
            return web.Response(status=204, headers=cors)
        if request.path in ("/encode", "/decode") or request.path.startswith("/documents/"):
            staff_id = await who(request)
            if staff_id is None and request.path == "/decode" and origin == ui_origin:
                # The UI shows only "Data encoding failed" for a 401: a browser whose session
                # ended is told, in place of each value, where to sign in again.
                return await signed_out(request, cors)
            if staff_id is None:
                log.warning("security.codec_refused", reason="missing or unknown token")
                return _error("sign in or send a staff token (Authorization: Bearer)", 401, **cors)
            if not known(staff_id):
                log.warning("security.codec_refused", reason="not in directory", staff_id=staff_id)
                return _error("your staff id is not in the staff directory", 403, **cors)
            request[STAFF] = staff_id
        response = await handler(request)
        response.headers.update(cors)
        return response

    async def read_payloads(request: web.Request) -> Payloads | web.Response:
        try:
            # JSON is UTF-8 (RFC 8259): read the bytes, never the charset a client claims.
            body: Any = json.loads((await request.read()).decode("utf-8"))
        except RecursionError:
            return _error(f"body nests deeper than {MAX_DEPTH} levels", 400)
        except ValueError:
            return _error('body must be JSON: {"payloads": [...]}', 400)
        if _depth(body) > MAX_DEPTH:
            return _error(f"body nests deeper than {MAX_DEPTH} levels", 400)
        # protobuf JSON leaves an empty list out: {} is no payloads (a query without arguments)
        if not isinstance(body, dict) or not isinstance(body.get("payloads", []), list):
            return _error('body must be {"payloads": [...]}', 400)
        try:
            return json_format.ParseDict(body, Payloads(), ignore_unknown_fields=True)
        except (json_format.ParseError, ValueError, TypeError, RecursionError):
            return _error('payloads must be {"metadata": {...base64}, "data": base64}', 400)

    async def signed_out(request: web.Request, cors: dict[str, str]) -> web.StreamResponse:
        """Each payload answered with a readable notice, never with its content."""
        payloads = await read_payloads(request)
        if isinstance(payloads, web.Response):
            return payloads
        sign_in_url = f"{proxied or request.scheme}://{request.host}/sign-in"
        notice = json.dumps(f"Signed out of the ICR codec server: sign in again at {sign_in_url}")
        plain = Payload(metadata={"encoding": b"json/plain"}, data=notice.encode())
        result = Payloads(payloads=[plain for _ in payloads.payloads])
        return web.json_response(json_format.MessageToDict(result), headers=cors)

    async def encode(request: web.Request) -> web.StreamResponse:
        payloads = await read_payloads(request)
        if isinstance(payloads, web.Response):
            return payloads
        staff_id = request[STAFF]
        cases = encode_cases(payloads.payloads, request.headers.get(CASE_HEADER))
        if isinstance(cases, str):
            return _error(cases, 400)
        stamped = [stamp_keys.sign(p, staff_id) for p in payloads.payloads]
        result = Payloads(
            payloads=[codec.encrypt(p, c) for p, c in zip(stamped, cases, strict=True)]
        )
        log.info("codec.encoded", staff_id=staff_id, payloads=len(stamped))
        return web.json_response(json_format.MessageToDict(result))

    async def decode(request: web.Request) -> web.StreamResponse:
        payloads = await read_payloads(request)
        if isinstance(payloads, web.Response):
            return payloads
        staff_id = request[STAFF]
        try:  # per payload, as the person may read its case (codec_server.decode_scope)
            decoded = await scope.decode(
                staff_id, member_of(staff_id), payloads.payloads, unrestricted=directory is None
            )
        except UndecryptablePayload as exc:
            return _error(str(exc), 400)
        return web.json_response(json_format.MessageToDict(Payloads(payloads=decoded)))

    async def sign_in_page(_: web.Request) -> web.StreamResponse:
        return web.Response(text=SIGN_IN_PAGE.format(note=""), content_type="text/html")

    async def sign_in(request: web.Request) -> web.StreamResponse:
        """A browser posts its token once; from then on only a session cookie rides along."""
        wants_json = request.content_type == "application/json"
        try:
            form: Any = await (request.json() if wants_json else request.post())
            token = form.get("token", "") if isinstance(form, dict) or not wants_json else ""
        except (ValueError, RecursionError, LookupError):  # LookupError: an unknown charset
            token = ""
        staff_id = await authenticator.staff_id(str(token)) if token else None
        if staff_id is None or not known(staff_id):
            log.warning("security.sign_in_refused")
            if wants_json:
                return _error("unknown token", 401)
            page = SIGN_IN_PAGE.format(note="<p>That token is not known.</p>")
            return web.Response(text=page, content_type="text/html", status=401)
        log.info("security.signed_in", staff_id=staff_id)
        response: web.Response = (
            web.json_response({"staff_id": staff_id})
            if wants_json
            else web.Response(status=303, headers={"Location": ui_origin})
        )
        response.set_cookie(
            COOKIE,
            sessions.issue(staff_id),
            httponly=True,
            samesite="Strict",
            secure=secure_cookie,
            max_age=LIFETIME_SECONDS,
            path="/",
        )
        return response

    async def sign_out(_: web.Request) -> web.StreamResponse:
        response = web.json_response({"signed_out": True})
        response.del_cookie(COOKIE, path="/")
        return response

    async def old_login(_: web.Request) -> web.StreamResponse:
        return _error("tokens are no longer accepted in a URL; sign in at /sign-in", 410)

    async def document(request: web.Request) -> web.StreamResponse:
        if documents is None:
            return _error("documents are not served here", 404)
        staff_id = request[STAFF]
        return await documents.serve(request, staff_id, lambda office: may_read(staff_id, office))

    async def health(_: web.Request) -> web.StreamResponse:
        return web.json_response({"ok": True})

    app = web.Application(middlewares=[guard], client_max_size=4 * 1024 * 1024)
    app.add_routes(
        [
            web.post("/encode", encode),
            web.post("/decode", decode),
            web.route("OPTIONS", "/{tail:.*}", health),
            web.get("/sign-in", sign_in_page),
            web.post("/sign-in", sign_in),
            web.post("/sign-out", sign_out),
            web.get("/login", old_login),
            web.get("/health", health),
            web.get("/documents/{case_id}/{document_id}", document, allow_head=False),
        ]
    )
    return app


def authenticator_from_settings(settings: Settings) -> Authenticator:
    sources: list[Authenticator] = []
    if settings.codec_tokens.strip():
        sources.append(StaticTokens.parse(settings.codec_tokens))
    if settings.oidc_jwks_url:
        if not (settings.oidc_issuer and settings.oidc_audience):
            raise SystemExit("OIDC needs ICR_OIDC_ISSUER and ICR_OIDC_AUDIENCE as well")
        sources.append(
            OidcTokens(
                issuer=settings.oidc_issuer,
                audience=settings.oidc_audience,
                jwks_url=settings.oidc_jwks_url,
                claim=settings.oidc_staff_claim,
            )
        )
    if not sources:
        raise SystemExit("the codec server needs ICR_CODEC_TOKENS or ICR_OIDC_JWKS_URL")
    return AnyOf(*sources)


def app_from_settings(settings: Settings) -> web.Application:
    keys = configured.keyring(settings)
    if keys is None:
        raise SystemExit("the codec server needs ICR_PAYLOAD_KEYS or ICR_PAYLOAD_KEY_FILE")
    stamp_keys = configured.stamp_keys(settings)
    if stamp_keys is None:
        raise SystemExit("the codec server needs ICR_STAMP_KEYS or ICR_STAMP_KEY_FILE")
    directory = FileStaffDirectory(settings.staff_directory) if settings.staff_directory else None
    return make_app(
        keys,
        authenticator_from_settings(settings),
        settings.codec_ui_origin,
        stamp_keys,
        directory,
        Sessions(settings.codec_session_secret),
        settings.codec_cookie_secure,
        _documents(settings),
        CaseOffices(lambda: _temporal(settings), settings.task_queue),
    )


async def _temporal(settings: Settings) -> Client:
    from clients import connect  # the codec server starts without Temporal: connect on use

    return await connect(settings)


def _documents(settings: Settings) -> DocumentReading | None:
    """Documents are served only where the codec server can sign the reads it records."""
    if configured.service_identity(settings) is None:
        log.warning("codec.documents_off", reason="no ICR_SERVICE_KEY (svc.codec) set")
        return None
    return DocumentReading(settings)


async def serve(settings: Settings) -> None:
    host, port = settings.codec_address.rsplit(":", 1)
    # No access log: nothing a caller sends (a mistyped token in a query) lands in a log.
    runner = web.AppRunner(app_from_settings(settings), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, int(port)).start()
    log.info("codec.started", address=settings.codec_address, ui_origin=settings.codec_ui_origin)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
