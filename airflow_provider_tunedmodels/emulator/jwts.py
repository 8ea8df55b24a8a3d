"""Reading JSON Web Tokens without trusting them.

Service accounts sign JWTs in two places: the assertion of the token endpoint's
JWT-bearer grant, and the self-signed token that google-auth sends as a bearer
token instead of calling a token endpoint (google-cloud-aiplatform always does).
The functions here check a token's shape and claims before and after its
signature is verified, so hostile input (a huge token, bad base64, deeply nested
JSON, claims of the wrong type, ``NaN`` times) ends as :class:`InvalidJwt`, never
as an unexpected exception. Signatures are verified by the caller, which knows
the keys.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_tunedmodels.emulator.wire import parse_json

__all__ = [
    "CLOCK_SKEW",
    "MAX_LIFETIME",
    "MAX_TOKEN_LENGTH",
    "InvalidJwt",
    "UnverifiedJwt",
    "decode",
    "self_signed_scopes",
    "time_claims",
]

#: Longest token read at all (a 4096-bit RS256 token with many scopes is about 2 KB).
MAX_TOKEN_LENGTH = 8192
#: Seconds a token's ``iat`` may lie in the future (clocks differ).
CLOCK_SKEW = 300
#: Longest lifetime (``exp - iat``) Google accepts for a service-account JWT.
MAX_LIFETIME = 3600
#: Hosts whose root URL is a valid self-signed JWT audience.
GOOGLE_API_DOMAIN = ".googleapis.com"


class InvalidJwt(ValueError):
    """The token cannot be accepted; the message says why (never quoting the token)."""


@dataclass(frozen=True)
class UnverifiedJwt:
    """A decoded token whose signature is not checked yet."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _json_object(segment: str) -> dict[str, Any]:
    value = parse_json(_b64decode(segment))
    if not isinstance(value, dict):
        raise InvalidJwt("Invalid JWT: malformed assertion.")
    return value


def decode(token: str) -> UnverifiedJwt:
    """Split and decode ``header.claims.signature`` (an RS256 JWT)."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidJwt("Invalid JWT: the token is too long.")
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = _json_object(header_b64)
        claims = _json_object(claims_b64)
        signature = _b64decode(signature_b64)
    except (ValueError, binascii.Error, RecursionError):
        raise InvalidJwt("Invalid JWT: malformed assertion.") from None
    if header.get("alg") != "RS256":
        raise InvalidJwt("Invalid JWT: unsupported signing algorithm.")
    return UnverifiedJwt(header, claims, f"{header_b64}.{claims_b64}".encode(), signature)


def _seconds(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidJwt("Invalid JWT: missing iat or exp.")
    seconds = float(value)
    if not math.isfinite(seconds):
        raise InvalidJwt("Invalid JWT: missing iat or exp.")
    return seconds


def time_claims(claims: Mapping[str, Any]) -> tuple[float, float]:
    """``(iat, exp)``, both present and finite numbers."""
    return _seconds(claims, "iat"), _seconds(claims, "exp")


def _is_google_api_root(audience: Any) -> bool:
    """``https://aiplatform.googleapis.com/`` and the like (not a path below it)."""
    if not isinstance(audience, str):
        return False
    try:
        parts = urlsplit(audience)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    return (
        parts.scheme == "https"
        and host.endswith(GOOGLE_API_DOMAIN)
        and parts.path in ("", "/")
        and not parts.query
    )


def self_signed_scopes(claims: Mapping[str, Any], now: float) -> frozenset[str] | None:
    """Check a verified self-signed token's claims; its ``scope`` claim, if it has one.

    Rules (Google's for self-signed service-account JWTs): ``sub`` equals ``iss``;
    ``iat`` is not in the future and at most an hour before ``exp``; an ``aud``, if
    present, is a Google API's root URL; and there is a ``scope`` claim or such an
    ``aud``. An expired token passes here, so that the caller can say it expired.
    """
    issuer, subject = claims.get("iss"), claims.get("sub")
    if not isinstance(subject, str) or not isinstance(issuer, str):
        raise InvalidJwt("Invalid JWT: iss and sub must name the service account.")
    if subject.lower() != issuer.lower():
        raise InvalidJwt("Invalid JWT: iss and sub must name the same service account.")
    issued_at, expiry = time_claims(claims)
    if issued_at > now + CLOCK_SKEW or not issued_at < expiry <= issued_at + MAX_LIFETIME:
        raise InvalidJwt("Invalid JWT: iat and exp must span at most an hour, starting now.")
    audience = claims.get("aud")
    if audience is not None and not _is_google_api_root(audience):
        raise InvalidJwt(
            "Invalid JWT: the audience must be a Google API, e.g. https://aiplatform.googleapis.com/."
        )
    scope = claims.get("scope")
    if scope is None:
        if audience is None:
            raise InvalidJwt("Invalid JWT: needs a scope claim or a Google API audience.")
        return None
    if not isinstance(scope, str) or not scope.split():
        raise InvalidJwt("Invalid JWT: the scope claim must list scopes separated by spaces.")
    return frozenset(scope.split())
