from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from newsbot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented_in_env_example():
    text = (ROOT / ".env.example").read_text()
    from pydantic import BaseModel

    for name, field in Settings.model_fields.items():
        env = "DISCORD_TOKEN" if name == "discord_token" else f"NEWSBOT_{name.upper()}"
        assert field.description, f"{name} has no description"
        group = field.annotation
        if isinstance(group, type) and issubclass(group, BaseModel):  # a nested group
            for sub, sub_field in group.model_fields.items():
                assert f"{env}__{sub.upper()}=" in text, f"{env}__{sub.upper()} missing"
                assert sub_field.description, f"{name}.{sub} has no description"
            continue
        assert f"{env}=" in text, f"{env} missing from .env.example"


def test_env_and_dotenv_are_read(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("NEWSBOT_TOPIC_THRESHOLD=0.7\nDISCORD_TOKEN=abc.def\n")
    monkeypatch.setenv("NEWSBOT_INGEST_INTERVAL", "1800")
    monkeypatch.setenv("NEWSBOT_ALLOW_HOSTS", "127.0.0.1, 10.0.0.0/8")
    settings = Settings()
    assert settings.topic_threshold == 0.7
    assert settings.ingest_interval.total_seconds() == 1800
    assert settings.allowed_hosts == ("127.0.0.1", "10.0.0.0/8")
    assert settings.discord_token is not None
    assert "abc.def" not in repr(settings) and "abc.def" not in str(settings.model_dump())


def test_unknown_keys_and_bad_values_are_rejected(tmp_path):
    (tmp_path / ".env").write_text("NEWSBOT_TYPO_SETTING=1\n")
    with pytest.raises(ValidationError):
        Settings()
    with pytest.raises(ValidationError):
        Settings(_env_file=None, allow_hosts="not-a-cidr/99")
