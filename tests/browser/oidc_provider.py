"""A minimal OpenID Connect identity provider for tests: discovery, authorize, token, JWKS and userinfo.

It signs in whoever `identity` says without asking (the test sets it), and otherwise plays by the rules the
relying party checks: the authorization code is single-use and bound to the client and redirect URI, the ID
token is RS256-signed with a key published at jwks_uri, and carries the issuer, audience, expiry and the nonce
from the authorization request. Runs in a thread on a free loopback port.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "wheelhouse-test"
CLIENT_SECRET = secrets.token_urlsafe(24)


class IdentityProvider:
    """`with IdentityProvider() as idp:` serves at `idp.issuer`; set `idp.identity` to who signs in next."""

    def __init__(self) -> None:
        self.identity: dict[str, object] = {}
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self._codes: dict[str, dict[str, object]] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> IdentityProvider:
        threading.Thread(target=self._server.serve_forever, daemon=True, name="test-oidc").start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def metadata(self) -> dict[str, object]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def _authorize(self, query: dict[str, str]) -> str:
        """Approve at once: a one-time code for the current identity, sent back to the redirect URI."""
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            raise ValueError("unknown client or response type")
        code = secrets.token_urlsafe(16)
        self._codes[code] = {"redirect_uri": query["redirect_uri"], "nonce": query.get("nonce"), **self.identity}
        back = {"code": code, "state": query.get("state", "")}
        return f"{query['redirect_uri']}?{urlencode(back)}"

    def _token(self, form: dict[str, str], authorization: str | None) -> dict[str, object]:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            client_id, client_secret = base64.b64decode(authorization[6:]).decode().split(":", 1)
        grant = self._codes.pop(form.get("code", ""), None)  # single use
        if client_id != CLIENT_ID or client_secret != CLIENT_SECRET or grant is None:
            raise ValueError("invalid client or code")
        if grant.pop("redirect_uri") != form.get("redirect_uri"):
            raise ValueError("redirect_uri differs from the authorization request")
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, **grant}
        claims = {k: v for k, v in claims.items() if v is not None}
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)
        return {
            "access_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }

    def _handler(provider):  # `provider`, not `self`: the handler class below closes over it
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet test output
                pass

            def _send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self._send(200, provider.metadata())
                elif url.path == "/jwks":
                    self._send(200, {"keys": [provider.key.as_dict(private=False)]})
                elif url.path == "/userinfo":
                    self._send(200, {k: v for k, v in provider.identity.items()})
                elif url.path == "/authorize":
                    try:
                        self._send(302, {}, {"Location": provider._authorize(query)})
                    except (KeyError, ValueError) as exc:
                        self._send(400, {"error": "invalid_request", "error_description": str(exc)})
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path != "/token":
                    self._send(404, {"error": "not_found"})
                    return
                try:
                    self._send(200, provider._token(form, self.headers.get("Authorization")))
                except ValueError as exc:
                    self._send(400, {"error": "invalid_grant", "error_description": str(exc)})

        return Handler
