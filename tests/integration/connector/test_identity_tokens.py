"""Self-issued ID tokens: issued by one connector, verified by another (SQLite and PostgreSQL)."""

from __future__ import annotations

import time

import jwt
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from connector.identity import TokenIssuer, TokenVerifier
from connector.store import replay
from connector.store.processes import run_write
from hinterland.did import DidResolver, did_web_document
from hinterland.errors import AuthenticationError, KeyMaterialError
from hinterland.keys import PrivateKey

CALLER = "did:web:print.example"
PROVIDER = "did:web:tools.example"


@pytest.fixture
def key() -> PrivateKey:
    return PrivateKey.generate()


def _verifier(engine: AsyncEngine, key: PrivateKey, **kw: object) -> TokenVerifier:
    resolver = DidResolver(documents={CALLER: did_web_document(CALLER, key.public())})
    return TokenVerifier(engine, resolver, PROVIDER, **kw)  # type: ignore[arg-type]


async def test_valid_token_is_accepted_once(engine: AsyncEngine, key: PrivateKey) -> None:
    verifier = _verifier(engine, key)
    token = TokenIssuer(key, CALLER).issue(PROVIDER)
    did, claims = await verifier.verify(f"Bearer {token}")
    assert did == CALLER and claims["aud"] == PROVIDER and claims["sub"] == CALLER
    with pytest.raises(AuthenticationError, match="replay"):
        await verifier.verify(f"Bearer {token}")
    # a second token from the same caller is fine
    assert (await verifier.verify("Bearer " + TokenIssuer(key, CALLER).issue(PROVIDER)))[
        0
    ] == CALLER


async def test_replay_is_refused_across_replicas(engine: AsyncEngine, key: PrivateKey) -> None:
    token = TokenIssuer(key, CALLER).issue(PROVIDER)
    await _verifier(engine, key).verify(f"Bearer {token}")
    with pytest.raises(AuthenticationError, match="replay"):
        await _verifier(engine, key).verify(f"Bearer {token}")  # another replica, same DB


async def test_expired_token_is_refused(engine: AsyncEngine, key: PrivateKey) -> None:
    old = TokenIssuer(key, CALLER, clock=lambda: time.time() - 400).issue(PROVIDER)
    with pytest.raises(AuthenticationError, match="expired"):
        await _verifier(engine, key).verify(f"Bearer {old}")


async def test_wrong_audience_key_or_shape_is_refused(engine: AsyncEngine, key: PrivateKey) -> None:
    verifier = _verifier(engine, key)
    with pytest.raises(AuthenticationError, match="not meant for"):
        await verifier.verify("Bearer " + TokenIssuer(key, CALLER).issue("did:web:other.example"))
    impostor = PrivateKey.generate()
    with pytest.raises(AuthenticationError, match="invalid identity token"):
        await verifier.verify("Bearer " + TokenIssuer(impostor, CALLER).issue(PROVIDER))
    with pytest.raises(AuthenticationError, match="resolve"):
        await verifier.verify(
            "Bearer " + TokenIssuer(key, "did:web:unknown.example").issue(PROVIDER)
        )
    with pytest.raises(AuthenticationError, match="missing"):
        await verifier.verify(None)
    with pytest.raises(AuthenticationError, match="Bearer"):
        await verifier.verify("Basic abc")
    with pytest.raises(AuthenticationError, match="malformed"):
        await verifier.verify("Bearer not-a-jwt")


async def test_lifetime_and_subject_rules(engine: AsyncEngine, key: PrivateKey) -> None:
    verifier = _verifier(engine, key)
    jwk = jwt.PyJWK(key.to_jwk(), algorithm="EdDSA")
    now = int(time.time())
    base = {"iss": CALLER, "sub": CALLER, "aud": PROVIDER, "iat": now, "exp": now + 60, "jti": "a"}
    headers = {"kid": f"{CALLER}#key-1"}

    def token(**changes: object) -> str:
        return jwt.encode({**base, **changes}, jwk.key, algorithm="EdDSA", headers=headers)

    with pytest.raises(AuthenticationError, match="at most 300"):
        await verifier.verify("Bearer " + token(exp=now + 3600, jti="b"))
    with pytest.raises(AuthenticationError, match="sub equal to iss"):
        await verifier.verify("Bearer " + token(sub="did:web:someone.else", jti="c"))
    with pytest.raises(AuthenticationError, match="jti"):
        payload = {k: v for k, v in base.items() if k != "jti"}
        await verifier.verify(
            "Bearer " + jwt.encode(payload, jwk.key, algorithm="EdDSA", headers=headers)
        )
    with pytest.raises(AuthenticationError, match="does not belong"):
        bad = jwt.encode(base, jwk.key, algorithm="EdDSA", headers={"kid": "did:web:x#key-1"})
        await verifier.verify("Bearer " + bad)
    assert (await verifier.verify("Bearer " + token(jti="ok")))[0] == CALLER


def test_issuer_refuses_unsuitable_keys() -> None:
    with pytest.raises(KeyMaterialError, match="Ed25519"):
        TokenIssuer(PrivateKey.generate("p256"), CALLER)
    with pytest.raises(KeyMaterialError, match="lifetime"):
        TokenIssuer(PrivateKey.generate(), CALLER, lifetime=600)


async def test_a_deferred_mark_commits_with_the_first_write(
    engine: AsyncEngine, key: PrivateKey
) -> None:
    verifier = _verifier(engine, key)
    token = TokenIssuer(key, CALLER).issue(PROVIDER)
    await verifier.verify(f"Bearer {token}", defer=True)
    assert replay.pending() is not None

    async def work(session: AsyncSession) -> None:
        return None

    await run_write(engine, work)  # the request's write takes the mark along
    assert replay.pending() is None
    await verifier.settle()  # nothing left to write
    replay.forget()
    with pytest.raises(AuthenticationError, match="replay"):
        await _verifier(engine, key).verify(f"Bearer {token}")  # another replica


async def test_a_deferred_mark_without_a_write_is_settled(
    engine: AsyncEngine, key: PrivateKey
) -> None:
    verifier = _verifier(engine, key)
    token = TokenIssuer(key, CALLER).issue(PROVIDER)
    await verifier.verify(f"Bearer {token}", defer=True)
    await verifier.settle()
    replay.forget()
    await verifier.verify(f"Bearer {token}", defer=True)  # the signature etc. still pass...
    with pytest.raises(AuthenticationError, match="replay"):
        await verifier.settle()  # ...but the mark collides
    replay.forget()
