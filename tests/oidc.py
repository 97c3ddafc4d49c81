"""A throwaway OpenID Connect provider on loopback, for signing in through `st.login` in
the browser journeys: discovery, a sign-in form that asks only for an e-mail, the
authorization-code flow with PKCE, RS256 ID tokens signed with joserfc (Authlib's JOSE
library, installed with it), and JWKS.
Never for anything but tests: whoever types an address is signed in as it."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID, CLIENT_SECRET = "leadscore-tests", "not-a-secret"


class Provider:
    """The provider's state: its signing key and the codes handed out, not yet used."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.codes: dict[str, dict] = {}
        self.signed_in: list[str] = []

    def discovery(self) -> dict:
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
            "code_challenge_methods_supported": ["S256"],
        }

    def code_for(self, email: str, request: dict) -> str:
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"email": email.strip().lower(), **request}
        return code

    def token(self, form: dict, basic: tuple[str, str] | None) -> dict | None:
        """The tokens for a code, once; None when anything does not match."""
        client = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or client != (CLIENT_ID, CLIENT_SECRET):
            return None
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return None
        if grant.get("code_challenge"):
            verifier = form.get("code_verifier", "").encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if digest.decode() != grant["code_challenge"]:
                return None
        email, now = grant["email"], int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": email,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 600,
            "nonce": grant.get("nonce"),
            "email": email,
            "email_verified": True,
            "name": email.split("@")[0].title(),
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
        self.signed_in.append(email)
        return {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                "expires_in": 600, "id_token": id_token}  # fmt: skip


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _send(self, status: int, body: str, kind: str = "application/json", **headers):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._send(200, json.dumps(provider.discovery()))
            elif url.path == "/jwks":
                self._send(200, json.dumps({"keys": [provider.key.as_dict(private=False)]}))
            elif url.path == "/authorize":
                fields = "".join(
                    f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                    for k, v in query.items()
                )
                page = (
                    "<html><body><h1>Test sign-in</h1><form method='post' action='/authorize'>"
                    f"{fields}<label>E-mail <input name='email' id='email'></label>"
                    "<button type='submit' id='go'>Sign in</button></form></body></html>"
                )
                self._send(200, page, "text/html")
            else:
                self._send(404, "{}")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if self.path == "/authorize":
                code = provider.code_for(form.pop("email", ""), form)
                back = {"code": code, "state": form.get("state", "")}
                self._send(302, "", Location=f"{form['redirect_uri']}?{urlencode(back)}")
            elif self.path == "/token":
                tokens = provider.token(form, self._basic())
                if tokens is None:
                    self._send(400, json.dumps({"error": "invalid_grant"}))
                else:
                    self._send(200, json.dumps(tokens))
            else:
                self._send(404, "{}")

        def _basic(self) -> tuple[str, str] | None:
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Basic "):
                return None
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            return user, password

    return Handler


@contextmanager
def provider() -> Iterator[Provider]:
    """The provider on a free loopback port, for the length of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    found = Provider(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(found)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


def secrets_toml(issuer: str, app_url: str) -> str:
    """The app's `.streamlit/secrets.toml` for this provider."""
    return (
        "[auth]\n"
        f'redirect_uri = "{app_url}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(16)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
    )
