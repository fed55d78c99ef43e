import os
import stat

import pytest

from dashboard.config import load_settings
from dashboard.errors import SettingsError


def test_defaults_put_sqlite_and_secret_in_the_data_dir(tmp_path):
    s = load_settings(env={"IOC_DATA_DIR": str(tmp_path / "d")})
    assert s.database_url == f"sqlite:///{tmp_path / 'd' / 'ioc.sqlite3'}"
    assert s.timezone == "Asia/Ho_Chi_Minh"
    assert s.language == "vi"
    assert s.cache_backend == "filesystem"
    key_file = tmp_path / "d" / "secret_key"
    assert key_file.read_text().strip() == s.secret_key
    assert len(s.secret_key) >= 32
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_secret_key_is_generated_once_and_reused(tmp_path):
    env = {"IOC_DATA_DIR": str(tmp_path)}
    assert load_settings(env=env).secret_key == load_settings(env=env).secret_key


def test_environment_overrides_toml_which_overrides_defaults(tmp_path):
    cfg = tmp_path / "ioc.toml"
    cfg.write_text('[ioc]\nlanguage = "en"\nport = 9000\ntimezone = "Asia/Bangkok"\n', encoding="utf-8")
    env = {"IOC_DATA_DIR": str(tmp_path), "IOC_CONFIG": str(cfg), "IOC_PORT": "9100"}
    s = load_settings(env=env)
    assert (s.language, s.port, s.timezone) == ("en", 9100, "Asia/Bangkok")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"IOC_TIMEZONE": "Mars/Base"}, "IOC_TIMEZONE='Mars/Base' is invalid: expected an IANA time zone"),
        ({"IOC_PORT": "eighty"}, "IOC_PORT='eighty' is invalid: expected a TCP port number"),
        ({"IOC_PORT": "70000"}, "IOC_PORT='70000' is invalid"),
        ({"IOC_LANGUAGE": "fr"}, "IOC_LANGUAGE='fr' is invalid: expected vi or en"),
        ({"IOC_CACHE_BACKEND": "memcached"}, "IOC_CACHE_BACKEND='memcached' is invalid: expected one of"),
        (
            {"IOC_CACHE_BACKEND": "redis"},
            "IOC_REDIS_URL is invalid: IOC_CACHE_BACKEND=redis needs IOC_REDIS_URL",
        ),
        ({"IOC_REDIS_URL": "http://x"}, "IOC_REDIS_URL='http://x' is invalid: expected a Redis URL"),
        ({"IOC_DATABASE_URL": "mysql://u@h/db"}, "IOC_DATABASE_URL='mysql://u@h/db' is invalid"),
        ({"IOC_DATABASE_URL": "not a url"}, "IOC_DATABASE_URL='not a url' is invalid"),
        ({"IOC_SOURCES_FILE": "/nonexistent/sources.toml"}, "IOC_SOURCES_FILE is invalid: file not found"),
        ({"IOC_SECRET_KEY": "short"}, "IOC_SECRET_KEY='***' is invalid"),
        ({"IOC_LOG_LEVEL": "LOUD"}, "IOC_LOG_LEVEL='LOUD' is invalid"),
    ],
)
def test_bad_values_name_the_setting_and_what_is_expected(tmp_path, env, expected):
    with pytest.raises(SettingsError) as info:
        load_settings(env={"IOC_DATA_DIR": str(tmp_path), **env})
    message = str(info.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_secret_key_value_never_appears_in_errors(tmp_path):
    with pytest.raises(SettingsError) as info:
        load_settings(env={"IOC_DATA_DIR": str(tmp_path), "IOC_SECRET_KEY": "hunter2"})
    assert "hunter2" not in str(info.value)


def test_toml_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("language = \n", encoding="utf-8")
    with pytest.raises(SettingsError, match="is not valid TOML"):
        load_settings(env={"IOC_DATA_DIR": str(tmp_path)}, config_file=bad)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('colour = "blue"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="unknown setting 'colour'"):
        load_settings(env={"IOC_DATA_DIR": str(tmp_path)}, config_file=unknown)
    toml_bad_value = tmp_path / "tz.toml"
    toml_bad_value.write_text('timezone = "Nowhere"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"^timezone in .*tz.toml='Nowhere' is invalid"):
        load_settings(env={"IOC_DATA_DIR": str(tmp_path)}, config_file=toml_bad_value)
    with pytest.raises(SettingsError, match="IOC_CONFIG=.* file not found"):
        load_settings(env={"IOC_DATA_DIR": str(tmp_path), "IOC_CONFIG": str(tmp_path / "missing.toml")})


def test_unwritable_data_dir_is_a_settings_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SettingsError, match="IOC_DATA_DIR=.* is invalid: expected a writable directory"):
        load_settings(env={"IOC_DATA_DIR": str(blocker / "sub")})


def test_redacted_hides_passwords_and_the_secret_key(tmp_path):
    s = load_settings(
        env={
            "IOC_DATA_DIR": str(tmp_path),
            "IOC_DATABASE_URL": "postgresql+psycopg://ioc:s3cr3t-pw@db:5432/ioc",
            "IOC_CACHE_BACKEND": "redis",
            "IOC_REDIS_URL": "redis://:r3dis-pw@cache:6379/0",
            "IOC_SECRET_KEY": "a-very-long-secret-key-value",
        }
    )
    shown = str(s.redacted())
    for secret in ("s3cr3t-pw", "r3dis-pw", "a-very-long-secret-key-value"):
        assert secret not in shown
    assert "db:5432" in shown and "cache:6379" in shown


def test_plain_postgresql_url_uses_psycopg3_and_psycopg2_is_refused(tmp_path):
    assert load_settings(env={"IOC_DATA_DIR": str(tmp_path), "IOC_DATABASE_URL": "postgresql://u@h/d"})
    with pytest.raises(SettingsError, match="IOC_DATABASE_URL"):
        load_settings(env={"IOC_DATA_DIR": str(tmp_path), "IOC_DATABASE_URL": "postgresql+psycopg2://u@h/d"})
