"""bandmate.auth without HTTP: passwords, tokens, rights, events."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from bandmate.auth import InvalidInputError, MemberEvents, allows, can_edit, parse_role
from bandmate.auth.credentials import (
    HashCost,
    Passwords,
    check_password,
    hash_token,
    new_token,
    normalize_username,
    same,
    sign,
    verify_signed,
)
from bandmate.store.records import ROLES, Role

pytestmark = pytest.mark.anyio


async def test_default_cost_is_rfc9106_low_memory_argon2id() -> None:
    passwords = Passwords()
    stored = await passwords.hash_password("a good password")
    params = extract_parameters(stored)
    assert params.type is Type.ID
    assert (params.time_cost, params.memory_cost, params.parallelism) == (3, 65536, 4)
    assert await passwords.verify_password(stored, "a good password")
    assert not await passwords.verify_password(stored, "a bad password")
    assert not await passwords.verify_password("not a hash", "a good password")
    assert not passwords.needs_rehash(stored)


async def test_weaker_or_older_hashes_ask_for_a_rehash() -> None:
    cheap = Passwords(HashCost(time_cost=1, memory_kib=1024, parallelism=1))
    stored = await cheap.hash_password("a good password")
    assert Passwords().needs_rehash(stored)
    argon2i = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.I)
    assert Passwords().needs_rehash(argon2i.hash("x"))
    assert Passwords().needs_rehash("garbage")


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("alice", "alice"), ("Alice.B-2", "alice.b-2"), ("x_y", "x_y"), ("0" * 32, "0" * 32)],
)
def test_good_usernames(raw: str, stored: str) -> None:
    assert normalize_username(raw) == stored


@pytest.mark.parametrize("raw", ["ab", "_alice", ".x1", "a b", "émile", "a" * 33, "", "al\x00ce"])
def test_bad_usernames(raw: str) -> None:
    with pytest.raises(InvalidInputError, match=r"must be 3\.\.32 characters"):
        normalize_username(raw)


def test_password_lengths_and_normalization() -> None:
    with pytest.raises(InvalidInputError, match=r"length 7 must be 8\.\.256"):
        check_password("7 chars")
    with pytest.raises(InvalidInputError, match=r"length 257 must be 8\.\.256"):
        check_password("x" * 257)
    # "é" typed as one code point or as e + combining accent is the same password.
    assert check_password("caf\u00e9 au lait") == check_password("cafe\u0301 au lait")


def test_tokens_are_random_and_stored_as_sha256() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(t) == 43 for t in tokens)
    token = tokens.pop()
    assert len(hash_token(token)) == 64
    assert hash_token(token) == hash_token(token) != hash_token(token + "x")


def test_signed_values() -> None:
    signed = sign("k" * 32, "nonce")
    assert verify_signed("k" * 32, signed)
    assert not verify_signed("j" * 32, signed)
    assert not verify_signed("k" * 32, "other." + signed.split(".")[1])
    for bad in ("", ".", "nonce", ".mac", "nonce."):
        assert not verify_signed("k" * 32, bad)
    assert same("abc", "abc")
    assert not same("abc", "abd")


@pytest.mark.parametrize("role", ROLES)
def test_roles_are_ordered(role: Role) -> None:
    assert allows(role, "viewer")
    assert allows("owner", role)
    assert allows(role, "editor") == (role in ("owner", "editor")) == can_edit(role)
    assert parse_role(role) == role


def test_unknown_roles() -> None:
    assert not can_edit(None)
    with pytest.raises(InvalidInputError, match="role='admin' must be one of owner, editor"):
        parse_role("admin")


async def test_events_call_sync_and_async_callbacks_and_can_unsubscribe() -> None:
    events = MemberEvents()
    calls: list[tuple[str, ...]] = []

    async def async_cb(project_id: str, user_id: str) -> None:
        calls.append(("async", project_id, user_id))

    unsubscribe = events.on_member_removed(async_cb)
    events.on_member_removed(lambda p, u: calls.append(("sync", p, u)))
    events.on_role_changed(lambda p, u, r: calls.append(("role", p, u, r)))
    await events.member_removed("p", "u")
    unsubscribe()
    await events.member_removed("p", "v")
    await events.role_changed("p", "u", "viewer")
    assert calls == [
        ("async", "p", "u"),
        ("sync", "p", "u"),
        ("sync", "p", "v"),
        ("role", "p", "u", "viewer"),
    ]
