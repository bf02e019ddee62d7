"""STUN/TURN settings: parsing, checks, and TURN REST credentials as coturn checks them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from bandmate.jam.ice import (
    IceConfigError,
    IceServer,
    check_turn_credentials,
    ice_servers_for,
    parse_ice_servers,
    turn_rest_credential,
)


def test_comma_separated_urls_are_one_server_each_and_turn_gets_the_static_credential() -> None:
    servers = parse_ice_servers(
        "stun:stun.example.org:3478, turn:turn.example.org?transport=udp,"
        "turns:turn.example.org:5349",
        username="band",
        credential="pw",
    )
    assert servers == (
        IceServer(("stun:stun.example.org:3478",)),
        IceServer(("turn:turn.example.org?transport=udp",), "band", "pw"),
        IceServer(("turns:turn.example.org:5349",), "band", "pw"),
    )


def test_a_json_list_is_read_as_rtc_ice_servers() -> None:
    text = json.dumps(
        [
            {"urls": "stun:a.example.org"},
            {"urls": ["turn:b.example.org", "turns:b.example.org:443"], "username": "u",
             "credential": "c"},
        ]
    )  # fmt: skip
    servers = parse_ice_servers(text)
    assert servers[0] == IceServer(("stun:a.example.org",))
    assert servers[1] == IceServer(("turn:b.example.org", "turns:b.example.org:443"), "u", "c")
    assert parse_ice_servers("  ") == ()


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("http://stun.example.org", "must start with"),
        ("stun:", "must be <scheme>"),
        ("stun://x", "must be <scheme>"),
        ("stun:a b", "space or a quote"),
        ("[1, 2]", "must be an object"),
        ('{"urls": "stun:x"}', "must start with"),  # not a list: read as one bad URL
        ("[{bad json", "not valid JSON"),
        ('[{"urls": []}]', "1..8 URLs"),
        ('[{"urls": "stun:x", "password": "p"}]', "unknown field"),
        ('[{"urls": "turn:x", "username": "u"}]', "both username and credential"),
        ('[{"urls": "turn:x", "username": 5, "credential": "c"}]', "must be a string"),
        (",".join(["stun:x"] * 17), "at most 16"),
    ],
)
def test_bad_settings_are_refused_with_the_rule(text: str, rule: str) -> None:
    with pytest.raises(IceConfigError, match=rule):
        parse_ice_servers(text)


def test_half_a_static_credential_is_refused() -> None:
    with pytest.raises(IceConfigError, match="BANDMATE_TURN_CREDENTIAL"):
        parse_ice_servers("turn:x", username="u")


def test_a_turn_server_without_any_credential_is_refused() -> None:
    servers = parse_ice_servers("stun:a,turn:b")
    with pytest.raises(IceConfigError, match="needs credentials"):
        check_turn_credentials(servers, secret=None)
    check_turn_credentials(servers, secret="s3cret")
    check_turn_credentials(parse_ice_servers("stun:a"), secret=None)


def test_turn_rest_credentials_are_hmac_sha1_of_expiry_and_user() -> None:
    username, credential = turn_rest_credential("north", "u42", now_s=1_000_000.7, ttl_s=600)
    assert username == "1000600:u42"
    expected = hmac.new(b"north", b"1000600:u42", hashlib.sha1).digest()
    assert base64.b64decode(credential) == expected


def test_each_member_gets_their_own_turn_credential_and_stun_goes_without() -> None:
    servers = parse_ice_servers(
        '[{"urls": "stun:a"}, {"urls": "turn:b"},'
        ' {"urls": "turn:c", "username": "fixed", "credential": "pw"}]'
    )
    ana = ice_servers_for(servers, "ana", secret="north", ttl_s=3600, now_s=2_000_000)
    ben = ice_servers_for(servers, "ben", secret="north", ttl_s=3600, now_s=2_000_000)
    assert ana[0] == {"urls": ["stun:a"]}
    assert ana[1]["username"] == "2003600:ana"
    assert ben[1]["username"] == "2003600:ben"
    assert ana[1]["credential"] != ben[1]["credential"]
    assert ana[2] == {"urls": ["turn:c"], "username": "fixed", "credential": "pw"}
    assert ice_servers_for((), "ana", secret=None, ttl_s=60, now_s=0) == []
