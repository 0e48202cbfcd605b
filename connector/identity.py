"""Who is calling: self-issued ID tokens (JWT, EdDSA) bound to the caller's did:web.

A DSP request carries `Authorization: Bearer <JWT>` with `iss` = `sub` = the caller's DID,
`aud` = our DID, a lifetime of at most five minutes and a `jti`. We resolve the DID named in
the header's `kid`, check that the key is authorised for `authentication`, verify the
signature and claims, and remember the `jti` in the database until the token expires, so a
replayed token is refused even by another replica.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

import jwt
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from connector.store import replay
from connector.store.processes import Clock, run_write, settle_replay
from connector.store.tables import SeenTokenRow
from hinterland.did import DidResolver, is_authorized
from hinterland.errors import AuthenticationError, DidResolutionError, KeyMaterialError
from hinterland.keys import PrivateKey, PublicKey

MAX_LIFETIME = 300
MAX_TOKEN_BYTES = 8_192
LEEWAY = 5
PURGE_EVERY = 64.0
"""Seconds between purges of expired token ids (expired ones are refused anyway)."""


class TokenIssuer:
    """Issues our self-issued ID tokens."""

    def __init__(
        self, key: PrivateKey, did: str, *, lifetime: int = MAX_LIFETIME,
        clock: Clock = time.time, kid: str | None = None,
    ) -> None:
        if key.type != "ed25519":
            raise KeyMaterialError("identity tokens are signed with EdDSA: use an Ed25519 key")
        if not 0 < lifetime <= MAX_LIFETIME:
            raise KeyMaterialError(f"token lifetime must be 1..{MAX_LIFETIME} seconds")
        self._jwk = jwt.PyJWK(key.to_jwk(), algorithm="EdDSA")
        self.did = did
        self.kid = kid or f"{did}#key-1"
        self.lifetime = lifetime
        self.clock = clock

    def issue(self, audience: str, **claims: Any) -> str:
        """A fresh token for `audience` (the DID of the connector we call)."""
        now = int(self.clock())
        payload = {
            **claims,
            "iss": self.did,
            "sub": self.did,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + self.lifetime,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(
            payload, self._jwk.key, algorithm="EdDSA", headers={"kid": self.kid, "typ": "JWT"}
        )


class TokenVerifier:
    """Verifies callers' tokens against their DID documents and the replay cache."""

    def __init__(
        self, engine: AsyncEngine, resolver: DidResolver, audience: str, *,
        clock: Clock = time.time,
    ) -> None:
        self.engine = engine
        self.resolver = resolver
        self.audience = audience
        self.clock = clock
        self._next_purge = 0.0

    async def verify(
        self, authorization: str | None, *, defer: bool = False
    ) -> tuple[str, dict[str, Any]]:
        """(caller DID, claims) of a valid, unused token; `AuthenticationError` otherwise.

        With `defer` the token's replay mark is left to the request's first write
        transaction; the caller must then `settle` it before answering."""
        token = _bearer(authorization)
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"malformed identity token: {exc}") from None
        if header.get("alg") != "EdDSA":
            raise AuthenticationError(f"identity tokens must use EdDSA, not {header.get('alg')!r}")
        issuer = unverified.get("iss")
        kid = header.get("kid")
        if not isinstance(issuer, str) or not issuer.startswith("did:"):
            raise AuthenticationError("the token's iss must be the caller's DID")
        if not isinstance(kid, str):
            raise AuthenticationError("the token header must name its key (kid)")
        if kid.startswith("#"):
            kid = issuer + kid
        if kid.split("#", 1)[0] != issuer:
            raise AuthenticationError(f"key {kid} does not belong to the issuer {issuer}")
        try:
            document = await self.resolver.resolve(issuer)
            method = await self.resolver.resolve_verification_method(kid)
            key = PublicKey.from_verification_method(method)
        except (DidResolutionError, KeyMaterialError) as exc:
            raise AuthenticationError(f"cannot resolve the caller's key: {exc}") from None
        if not is_authorized(document, kid, "authentication"):
            raise AuthenticationError(f"{kid} is not an authentication key of {issuer}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                jwt.PyJWK(key.to_jwk(), algorithm="EdDSA").key,
                algorithms=["EdDSA"],
                audience=self.audience,
                issuer=issuer,
                leeway=LEEWAY,
                options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("the identity token has expired") from None
        except jwt.InvalidAudienceError:
            raise AuthenticationError(
                f"the identity token is not meant for {self.audience}"
            ) from None
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"invalid identity token: {exc}") from None
        now = self.clock()
        if claims["sub"] != issuer:
            raise AuthenticationError("a self-issued token needs sub equal to iss")
        if claims["exp"] - claims["iat"] > MAX_LIFETIME:
            raise AuthenticationError(f"identity tokens may live at most {MAX_LIFETIME} s")
        if claims["iat"] > now + LEEWAY:
            raise AuthenticationError("the identity token was issued in the future")
        if claims["exp"] < now - LEEWAY:  # PyJWT checks the wall clock; we check ours
            raise AuthenticationError("the identity token has expired")
        mark = replay.ReplayMark(
            hashlib.sha256(f"{issuer}\n{claims['jti']}".encode()).hexdigest(), issuer,
            float(claims["exp"]) + LEEWAY,
        )
        if defer:
            await self._purge()
            replay.defer(mark)
        else:
            await self._remember(mark)
        return issuer, claims

    async def settle(self) -> None:
        """Write the current request's deferred replay mark if no write took it along;
        `AuthenticationError` if the token had been used before."""
        await settle_replay(self.engine)

    async def _remember(self, mark: replay.ReplayMark) -> None:
        async def work(session: AsyncSession) -> None:
            await replay.write_in(session, mark)

        await run_write(self.engine, work)
        await self._purge()

    async def _purge(self) -> None:
        now = self.clock()

        async def purge(session: AsyncSession) -> None:
            await session.execute(delete(SeenTokenRow).where(SeenTokenRow.expires_at < now))

        if now >= self._next_purge:  # occasionally, not on every request
            self._next_purge = now + PURGE_EVERY
            await run_write(self.engine, purge)



def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise AuthenticationError("missing Authorization header with the caller's identity token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
    token = token.strip()
    if len(token) > MAX_TOKEN_BYTES:
        raise AuthenticationError("the identity token is too large")
    return token
