"""The codec server: lets authorized staff see, and the UI send, plain JSON for encrypted cases.

``python -m security.codec_server``. POST ``/encode`` and ``/decode`` take and return
``{"payloads": [...]}`` in protobuf JSON, as the Temporal UI and CLI send them. CORS answers
only the configured UI origin; a request needs a staff token, as ``Authorization: Bearer`` or
the ``icr_codec`` cookie that ``/login`` sets for a browser.
"""

import argparse
import asyncio
import hmac
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

import logs
from security.codec import EncryptionCodec, UndecryptablePayload
from security.document_reading import DocumentReading, sign_ins
from security.keys import KeyRing
from settings import Settings, get_settings

COOKIE = "icr_codec"
log = structlog.get_logger("icr.codec")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _cors_headers(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, X-Namespace, Authorization",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


def make_app(
    keys: KeyRing,
    tokens: list[str],
    ui_origin: str,
    documents: DocumentReading | None = None,
) -> web.Application:
    codec = EncryptionCodec(keys)
    people = sign_ins(tokens)
    allowed = list(people)

    def signed_in(request: web.Request) -> str | None:
        """Who the request's token signs in, or None."""
        header = request.headers.get("Authorization", "")
        offered = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        offered = offered or request.cookies.get(COOKIE, "")
        match = [t for t in allowed if offered and hmac.compare_digest(offered, t)]
        return people[match[0]] if match else None

    def authorized(request: web.Request) -> bool:
        return signed_in(request) is not None

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin != ui_origin:
            log.warning("security.codec_refused", reason="foreign origin")
            return web.json_response({"error": "origin not allowed"}, status=403)
        cors = _cors_headers(ui_origin) if origin else {}
        if request.method == "OPTIONS":
            return web.Response(status=204, headers=cors)
        guarded = request.path in ("/encode", "/decode") or request.path.startswith("/documents/")
        if guarded and not authorized(request):
            log.warning("security.codec_refused", reason="missing or wrong token")
            return web.json_response({"error": "staff token required"}, status=401, headers=cors)
        response = await handler(request)
        response.headers.update(cors)
        return response

    async def convert(request: web.Request, encode: bool) -> web.StreamResponse:
        try:
            body: Any = await request.json()
            payloads = json_format.ParseDict(body, Payloads(), ignore_unknown_fields=True)
        except (ValueError, json_format.ParseError):
            return web.json_response({"error": 'body must be {"payloads": [...]}'}, status=400)
        try:
            convert_ = codec.encode if encode else codec.decode
            result = Payloads(payloads=await convert_(payloads.payloads))
        except UndecryptablePayload as exc:
            return web.json_response({"error": str(exc)}, status=422)
        return web.json_response(json_format.MessageToDict(result))

    async def encode(request: web.Request) -> web.StreamResponse:
        return await convert(request, encode=True)

    async def decode(request: web.Request) -> web.StreamResponse:
        return await convert(request, encode=False)

    async def login(request: web.Request) -> web.StreamResponse:
        """A browser presents its staff token once; the cookie then rides along."""
        token = request.query.get("token", "")
        if not any(hmac.compare_digest(token, t) for t in allowed):
            return web.json_response({"error": "unknown token"}, status=401)
        response = web.HTTPFound(ui_origin)
        response.set_cookie(COOKIE, token, httponly=True, samesite="Lax", max_age=8 * 3600)
        raise response

    async def document(request: web.Request) -> web.StreamResponse:
        reader = signed_in(request)
        if documents is None or reader is None:
            return web.json_response({"error": "documents are not served here"}, status=404)
        return await documents.serve(request, reader)

    async def health(_: web.Request) -> web.StreamResponse:
        return web.json_response({"ok": True})

    app = web.Application(middlewares=[guard], client_max_size=4 * 1024 * 1024)
    app.add_routes(
        [
            web.post("/encode", encode),
            web.post("/decode", decode),
            web.route("OPTIONS", "/{tail:.*}", health),
            web.get("/login", login),
            web.get("/health", health),
            web.get("/documents/{case_id}/{document_id}", document),
        ]
    )
    return app


def app_from_settings(settings: Settings) -> web.Application:
    keys = settings.keyring()
    if keys is None:
        raise SystemExit("the codec server needs ICR_PAYLOAD_KEYS or ICR_PAYLOAD_KEY_FILE")
    tokens = [t.strip() for t in settings.codec_tokens.split(",") if t.strip()]
    if not tokens:
        raise SystemExit("the codec server needs ICR_CODEC_TOKENS (staff tokens)")
    return make_app(keys, tokens, settings.codec_ui_origin, DocumentReading(settings))


async def serve(settings: Settings) -> None:
    host, port = settings.codec_address.rsplit(":", 1)
    runner = web.AppRunner(app_from_settings(settings))
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
