"""A local OpenID Connect provider for tests: the SPID/CIE gateway, offline, in the test process.

A WSGI app on wsgiref's server in a thread on 127.0.0.1 (a free port): discovery, ``authorize`` (consents at
once for ``person``: redirects back with a code and the state, recording the PKCE challenge and the nonce),
``token`` (checks the client secret and the PKCE verifier with S256; answers with an RS256-signed ID token
carrying the nonce and the person's claims, and an access token), ``userinfo`` and ``jwks``. It refuses what a
real gateway refuses: an unknown client, a wrong secret, a code used twice, a missing or wrong verifier.
"""

import base64
import hashlib
import json
import secrets
import threading
import time
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, make_server

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "torino-partecipa"
CLIENT_SECRET = "gateway-test-secret"
KEY_ID = "test-key-1"


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


class Gateway:
    """The provider's state: who logs in next (``person``), the codes it gave out, what it was asked."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.person = {}
        self.id_token_overrides = {}  # claims forced into the next ID tokens (a forged nonce...)
        self.codes = {}
        self.tokens = {}
        self.authorize_requests = []  # the query of each authorisation request
        self.token_requests = []  # the form of each token request
        self.server = make_server("127.0.0.1", 0, self.app, handler_class=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # --- WSGI -----------------------------------------------------------------------------------------

    def app(self, environ, start_response):
        routes = {
            "/.well-known/openid-configuration": self.discovery,
            "/authorize": self.authorize,
            "/token": self.token,
            "/userinfo": self.userinfo,
            "/jwks": self.jwks,
        }
        handler = routes.get(environ["PATH_INFO"])
        status, headers, body = handler(environ) if handler else ("404 Not Found", [], b"")
        start_response(status, headers)
        return [body]

    @staticmethod
    def json(data, status="200 OK"):
        return status, [("Content-Type", "application/json")], json.dumps(data).encode()

    def discovery(self, environ):
        return self.json(
            {
                "issuer": self.url,
                "authorization_endpoint": self.url + "/authorize",
                "token_endpoint": self.url + "/token",
                "userinfo_endpoint": self.url + "/userinfo",
                "jwks_uri": self.url + "/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
                "code_challenge_methods_supported": ["S256"],
                "claims_parameter_supported": True,
            }
        )

    def authorize(self, environ):
        query = {name: values[0] for name, values in parse_qs(environ["QUERY_STRING"]).items()}
        self.authorize_requests.append(query)
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            return self.json({"error": "unauthorized_client"}, "400 Bad Request")
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "redirect_uri": query["redirect_uri"],
            "challenge": query.get("code_challenge"),
            "method": query.get("code_challenge_method"),
            "nonce": query.get("nonce"),
            "person": dict(self.person),
        }
        location = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query.get("state", "")})
        return "302 Found", [("Location", location)], b""

    def token(self, environ):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = {name: values[0] for name, values in parse_qs(environ["wsgi.input"].read(length).decode()).items()}
        self.token_requests.append(form)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return self.json({"error": "invalid_client"}, "401 Unauthorized")
        grant = self.codes.pop(form.get("code"), None)  # a code works once
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return self.json({"error": "invalid_grant"}, "400 Bad Request")
        if not grant["challenge"] or grant["method"] != "S256" or not pkce_matches(form, grant["challenge"]):
            return self.json({"error": "invalid_grant", "error_description": "PKCE"}, "400 Bad Request")
        access_token = secrets.token_urlsafe(24)
        self.tokens[access_token] = grant["person"]
        return self.json(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": self.id_token(grant["person"], grant["nonce"]),
            }
        )

    def id_token(self, person, nonce):
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "acr": "https://www.spid.gov.it/SpidL2",
        }
        claims.update(person)
        if nonce:
            claims["nonce"] = nonce
        claims.update(self.id_token_overrides)
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": KEY_ID})

    def userinfo(self, environ):
        person = self.tokens.get(environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer "))
        if person is None:
            return self.json({"error": "invalid_token"}, "401 Unauthorized")
        return self.json(person)

    def jwks(self, environ):
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return self.json({"keys": [{**public, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]})


def pkce_matches(form, challenge):
    verifier = form.get("code_verifier", "")
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return bool(verifier) and secrets.compare_digest(digest, challenge)
