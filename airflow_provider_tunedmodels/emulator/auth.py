"""Authentication: API keys, an OAuth2 token endpoint and bearer tokens.

* API keys come in the ``x-goog-api-key`` header or the ``key`` query
  parameter and map to a user email.
* ``POST /token`` implements the service-account JWT-bearer grant
  (``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``) that google-auth
  uses: the assertion must be an RS256 JWT signed with a service-account key
  the emulator knows, issued by that account, for a ``.../token`` audience,
  short-lived and carrying a ``scope``. The answer is an access token valid for
  the configured lifetime.
* ``Authorization: Bearer`` carries such a token, or a self-signed
  service-account JWT (google-auth's ``always_use_jwt_access``).

The caller's identity is the API key's user or the service account's
``client_email``. Error shapes follow the real front end.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_tunedmodels.emulator.errors import ApiError, error_info
from airflow_provider_tunedmodels.emulator.wire import parse_json

__all__ = [
    "DEFAULT_PROJECT_ID",
    "DEFAULT_USER_EMAIL",
    "JWT_BEARER_GRANT",
    "MAX_ASSERTION_LIFETIME",
    "READ_SCOPES",
    "WRITE_SCOPES",
    "Authenticator",
    "Identity",
    "OAuthError",
    "ServiceAccountKey",
    "has_bearer_token",
]


#: Email of the user behind API keys given without one.
DEFAULT_USER_EMAIL = "user@example.com"
#: Project id written into generated service-account keys.
DEFAULT_PROJECT_ID = "emulator-project"
#: The JWT-bearer grant type.
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: Scopes that allow every tuned-model method.
WRITE_SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/cloud-platform",
        "https://www.googleapis.com/auth/generative-language",
        "https://www.googleapis.com/auth/generative-language.tuning",
    }
)
#: Scopes that allow read-only methods (get, list, generation).
READ_SCOPES = WRITE_SCOPES | {
    "https://www.googleapis.com/auth/generative-language.tuning.readonly",
    "https://www.googleapis.com/auth/generative-language.retriever",
    "https://www.googleapis.com/auth/generative-language.retriever.readonly",
}
#: Longest assertion lifetime the token endpoint accepts (as Google's does).
MAX_ASSERTION_LIFETIME = 3600
_CLOCK_SKEW = 300

_UNREGISTERED_CALLER = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
_INVALID_CREDENTIALS = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


@dataclass(frozen=True)
class Identity:
    """Who is calling: an email, and the OAuth scopes when a token was used."""

    email: str
    scopes: frozenset[str] | None = None  # None: API key, no scope restriction


@dataclass(frozen=True)
class ServiceAccountKey:
    """The public half of a service-account key."""

    email: str
    key_id: str
    public_key: Any  # cryptography RSAPublicKey


@dataclass(frozen=True)
class _Token:
    email: str
    expiry: float
    scopes: frozenset[str]


class OAuthError(Exception):
    """An error of the token endpoint, answered as ``{"error", "error_description"}``."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        """The OAuth2 error body."""
        return {"error": self.error, "error_description": self.description}


class Authenticator:
    """Checks credentials and issues tokens."""

    def __init__(
        self,
        api_keys: Mapping[str, str],
        *,
        token_lifetime: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api_keys: dict[str, str] = dict(api_keys)
        self.token_lifetime = token_lifetime
        self._clock = clock
        self._keys: dict[str, ServiceAccountKey] = {}
        self._tokens: dict[str, _Token] = {}
        self._jwt_cache: dict[str, _Token] = {}

    # -- identities ---------------------------------------------------------

    def identify(self, headers: Mapping[str, str], query: Mapping[str, str]) -> Identity:
        """The caller of a request, or the error the real front end answers."""
        api_key = headers.get("x-goog-api-key") or query.get("key")
        key_email = self._check_api_key(api_key) if api_key else None
        bearer = _bearer(headers.get("authorization")) or query.get("access_token")
        if bearer:
            return self._check_bearer(bearer)
        if key_email is not None:
            return Identity(key_email)
        raise ApiError("PERMISSION_DENIED", _UNREGISTERED_CALLER)

    def _check_api_key(self, key: str) -> str:
        email = self.api_keys.get(key)
        if email is None:
            raise ApiError(
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                details=[error_info("API_KEY_INVALID")],
            )
        return email

    def _check_bearer(self, token: str) -> Identity:
        now = self._clock()
        issued = self._tokens.get(token)
        if issued is None and token.count(".") == 2:
            issued = self._self_signed(token, now)
        if issued is None:
            raise _unauthenticated("ACCESS_TOKEN_TYPE_UNSUPPORTED")
        if issued.expiry <= now:
            raise _unauthenticated("ACCESS_TOKEN_EXPIRED")
        return Identity(issued.email, issued.scopes)

    def _self_signed(self, token: str, now: float) -> _Token | None:
        cached = self._jwt_cache.get(token)
        if cached is not None:
            return cached
        try:
            claims = self._verified_claims(token)
            expiry = float(claims.get("exp", 0))
        except (OAuthError, TypeError, ValueError, OverflowError):
            return None
        scopes = frozenset(str(claims.get("scope", "")).split()) or WRITE_SCOPES
        issued = _Token(str(claims["iss"]), expiry, scopes)
        if expiry > now:
            if len(self._jwt_cache) > 10_000:
                self._jwt_cache.clear()
            self._jwt_cache[token] = issued
        return issued

    # -- service accounts and the token endpoint -----------------------------

    def register_key(self, email: str, key_id: str, public_key_pem: str) -> None:
        """Trust a service-account public key (PEM, or an X.509 certificate)."""
        from cryptography import x509
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        data = public_key_pem.encode()
        if b"BEGIN CERTIFICATE" in data:
            public_key: Any = x509.load_pem_x509_certificate(data).public_key()
        else:
            public_key = load_pem_public_key(data)
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise ValueError("service-account keys must be RSA keys")
        self._keys[key_id] = ServiceAccountKey(email.lower(), key_id, public_key)

    def register_key_file(self, info: Mapping[str, Any]) -> None:
        """Trust the key of a service-account key JSON (as downloaded from IAM)."""
        from cryptography.hazmat.primitives import serialization

        private_key = serialization.load_pem_private_key(
            str(info["private_key"]).encode(), password=None
        )
        public_pem = private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.register_key(
            str(info["client_email"]), str(info["private_key_id"]), public_pem.decode()
        )

    def create_key(self, email: str, token_uri: str) -> dict[str, Any]:
        """Create a service-account key, trust it and return its key JSON."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        public_pem = (
            private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        key_id = secrets.token_hex(20)
        self.register_key(email, key_id, public_pem)
        project = _project_of(email)
        return {
            "type": "service_account",
            "project_id": project,
            "private_key_id": key_id,
            "private_key": private_pem,
            "client_email": email,
            "client_id": str(secrets.randbelow(10**21)).zfill(21),
            "auth_uri": token_uri.rsplit("/", 1)[0] + "/auth",
            "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
            + email.replace("@", "%40"),
            "universe_domain": "googleapis.com",
        }

    def issue_token(self, form: Mapping[str, str]) -> dict[str, Any]:
        """Answer a token request (JWT-bearer grant only)."""
        grant_type = form.get("grant_type", "")
        if grant_type != JWT_BEARER_GRANT:
            raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        assertion = form.get("assertion")
        if not assertion:
            raise OAuthError("invalid_request", "Missing required parameter: assertion")
        claims = self._verified_claims(assertion)
        self._check_claims(claims)
        scope = str(claims.get("scope", "")).strip()
        if not scope:
            raise OAuthError("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        now = self._clock()
        self._purge(now)
        token = "ya29.emulator-" + secrets.token_urlsafe(32)
        self._tokens[token] = _Token(
            str(claims["iss"]).lower(), now + self.token_lifetime, frozenset(scope.split())
        )
        return {
            "access_token": token,
            "expires_in": max(0, int(self.token_lifetime)),
            "token_type": "Bearer",
        }

    def _verified_claims(self, assertion: str) -> dict[str, Any]:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            header_b64, payload_b64, signature_b64 = assertion.split(".")
            header = parse_json(_b64decode(header_b64))
            claims = parse_json(_b64decode(payload_b64))
            signature = _b64decode(signature_b64)
        except (ValueError, binascii.Error) as exc:
            raise OAuthError("invalid_grant", "Invalid JWT: malformed assertion.") from exc
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise OAuthError("invalid_grant", "Invalid JWT: malformed assertion.")
        if header.get("alg") != "RS256":
            raise OAuthError("invalid_grant", "Invalid JWT: unsupported signing algorithm.")
        key = self._key_for(header.get("kid"), claims.get("iss"))
        try:
            key.public_key.verify(
                signature,
                f"{header_b64}.{payload_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature as exc:
            raise OAuthError("invalid_grant", "Invalid JWT Signature.") from exc
        if str(claims.get("iss", "")).lower() != key.email:
            raise OAuthError("invalid_grant", "Invalid JWT: issuer does not own the key.")
        return claims

    def _key_for(self, key_id: Any, issuer: Any) -> ServiceAccountKey:
        if isinstance(key_id, str) and key_id in self._keys:
            return self._keys[key_id]
        if key_id is None and isinstance(issuer, str):
            for key in self._keys.values():
                if key.email == issuer.lower():
                    return key
        raise OAuthError("invalid_grant", "Invalid grant: account not found")

    def _check_claims(self, claims: Mapping[str, Any]) -> None:
        now = self._clock()
        audience = str(claims.get("aud", ""))
        if not audience.rstrip("/").endswith("/token"):
            raise OAuthError("invalid_grant", "Invalid JWT: Failed audience check.")
        try:
            issued_at = float(claims["iat"])
            expiry = float(claims["exp"])
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise OAuthError("invalid_grant", "Invalid JWT: missing iat or exp.") from exc
        if (
            issued_at > now + _CLOCK_SKEW
            or expiry <= now - _CLOCK_SKEW
            or expiry - issued_at > MAX_ASSERTION_LIFETIME
        ):
            raise OAuthError(
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                "reasonable timeframe. Check your iat and exp values in the JWT claim.",
            )

    def _purge(self, now: float) -> None:
        if len(self._tokens) < 10_000:
            return
        horizon = now - 3600
        self._tokens = {t: v for t, v in self._tokens.items() if v.expiry > horizon}


def has_bearer_token(headers: Mapping[str, str], query: Mapping[str, str]) -> bool:
    """Whether a request carries a bearer token (header or ``access_token`` parameter)."""
    return bool(_bearer(headers.get("authorization")) or query.get("access_token"))


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _unauthenticated(reason: str) -> ApiError:
    return ApiError(
        "UNAUTHENTICATED",
        _INVALID_CREDENTIALS,
        details=[error_info(reason)],
        headers={"www-authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


def _project_of(email: str) -> str:
    domain = email.partition("@")[2]
    if domain.endswith(".iam.gserviceaccount.com"):
        return domain.removesuffix(".iam.gserviceaccount.com")
    return DEFAULT_PROJECT_ID
