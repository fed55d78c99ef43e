"""The pure parts of single sign-on: claims, the role map, and the settings that configure it."""

from __future__ import annotations

import doctest

import pytest

from dashboard import oidc
from dashboard.config import load_settings
from dashboard.errors import SettingsError


def test_doctests():
    result = doctest.testmod(oidc)
    assert result.attempted >= 5 and result.failed == 0


def test_keycloak_realm_roles_and_full_group_paths_map_to_grants():
    role_map = oidc.parse_role_map(
        "ioc-lanh-dao=lanh_dao:BO;ioc-so=truong_don_vi:SO-01;ioc-so=theo_doi:SO-01"
    )
    claims = {
        "sub": "1",
        "realm_access": {"roles": ["offline_access", "ioc-so"]},
        "groups": ["/ioc-lanh-dao"],
    }
    assert oidc.mapped_grants(oidc.groups_of(claims, "realm_access.roles"), role_map) == [
        ("truong_don_vi", "SO-01"),
        ("theo_doi", "SO-01"),
    ]
    assert oidc.mapped_grants(oidc.groups_of(claims, "groups"), role_map) == [("lanh_dao", "BO")]
    assert oidc.mapped_grants(oidc.groups_of(claims, "roles"), role_map) == []


@pytest.mark.parametrize("value", [{"a": 1}, 42, None, [1, None]])
def test_a_groups_claim_of_the_wrong_shape_gives_no_groups(value):
    assert oidc.groups_of({"groups": value}, "groups") == ()


def test_identity_uses_the_configured_username_claim(tmp_path):
    settings = load_settings(env={}, data_dir=tmp_path, oidc_username_claim="email")
    identity = oidc.identity_from({"sub": "abc", "email": " An@Example.gov.vn ", "groups": "g1 g2"}, settings)
    assert identity == oidc.Identity("abc", "an@example.gov.vn", "an@example.gov.vn", ("g1", "g2"))
    assert identity.actor == "user:an@example.gov.vn"
    assert oidc.identity_from({"sub": "abc"}, settings).actor == "oidc:abc"


@pytest.mark.parametrize(
    "issuer", ["http://sso.example.gov.vn/realms/ioc", "ftp://x", "sso.example", "https://x/?a=1"]
)
def test_an_issuer_must_be_https_except_on_this_machine(tmp_path, issuer):
    with pytest.raises(SettingsError, match="IOC_OIDC_ISSUER"):
        load_settings(env={"IOC_OIDC_ISSUER": issuer, "IOC_OIDC_CLIENT_ID": "ioc"}, data_dir=tmp_path)


def test_https_and_loopback_issuers_are_accepted_without_a_trailing_slash(tmp_path):
    settings = load_settings(
        env={
            "IOC_OIDC_ISSUER": "https://sso.example.gov.vn/realms/ioc/",
            "IOC_OIDC_CLIENT_ID": "ioc",
            "IOC_OIDC_PUBLIC_URL": "https://ioc.example",
        },
        data_dir=tmp_path,
    )
    assert settings.oidc_issuer == "https://sso.example.gov.vn/realms/ioc" and settings.oidc_enabled
    assert settings.oidc_public_url == "https://ioc.example"
    local = load_settings(
        env={"IOC_OIDC_ISSUER": "http://127.0.0.1:8080", "IOC_OIDC_CLIENT_ID": "ioc"}, data_dir=tmp_path
    )
    assert local.oidc_issuer == "http://127.0.0.1:8080"
