from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from newsbot.settings import (
    FLAT_NAMES,
    ConfigError,
    Settings,
    env_example,
    env_name,
    load_settings,
)

ROOT = Path(__file__).resolve().parent.parent


def _groups(settings_cls: type[Settings] = Settings):
    for group, field in settings_cls.model_fields.items():
        model = field.annotation
        if isinstance(model, type) and hasattr(model, "model_fields"):
            yield group, model


def test_env_example_is_generated_from_the_model():
    committed = (ROOT / ".env.example").read_text()
    assert committed == env_example(), "run: python -m newsbot.settings > .env.example"
    flowing = " ".join(line.removeprefix("# ") for line in committed.splitlines())
    for group, model in _groups():
        assert f"({group}) ===" in committed
        for name, field in model.model_fields.items():
            assert field.description, f"{group}.{name} has no description"
            default = field.get_default(call_default_factory=True)
            shown = "" if default is None or isinstance(default, Path) else str(default)
            if isinstance(default, bool):
                shown = shown.lower()
            if isinstance(default, timedelta):
                shown = str(int(default.total_seconds()))
            assert f"# {env_name(group, name)}={shown}" in committed
            assert " ".join(field.description.split()) in flowing


def test_the_module_prints_env_example():
    out = subprocess.run([sys.executable, "-m", "newsbot.settings"], capture_output=True,
                         text=True, check=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}).stdout
    assert out == env_example()


def test_every_flat_name_points_at_a_field():
    fields = dict(_groups())
    for flat, (group, name) in FLAT_NAMES.items():
        assert name in fields[group].model_fields, flat


def test_nested_env_names_are_read(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("NEWSBOT_TOPICS__THRESHOLD=0.7\nNEWSBOT_FETCH__RETRIES=4\n")
    monkeypatch.setenv("NEWSBOT_SCHEDULE__INGEST_INTERVAL", "1800")
    monkeypatch.setenv("NEWSBOT_FETCH__ALLOW_HOSTS", "127.0.0.1, 10.0.0.0/8")
    monkeypatch.setenv("NEWSBOT_LLM__MODEL", "openai:gpt-4o-mini")
    settings = Settings()
    assert settings.topics.threshold == 0.7
    assert settings.fetch.retries == 4
    assert settings.schedule.ingest_interval.total_seconds() == 1800
    assert settings.fetch.allowed_hosts == ("127.0.0.1", "10.0.0.0/8")
    assert settings.llm.model == "openai:gpt-4o-mini"
    assert settings.fetch.timeout == 15.0  # the rest of a group keeps its defaults


def test_old_flat_names_are_still_read(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("NEWSBOT_TOPIC_THRESHOLD=0.7\nDISCORD_TOKEN=abc.def\n"
                                   "NEWSBOT_EMBEDDING_BACKEND=onnx\n")
    monkeypatch.setenv("NEWSBOT_INGEST_INTERVAL", "1800")
    monkeypatch.setenv("NEWSBOT_CHROMA_HOST", "chroma.internal")
    monkeypatch.setenv("NEWSBOT_LLM_API_KEY", "sk-secret")
    settings = Settings()
    assert settings.topics.threshold == 0.7
    assert settings.embedding.backend == "onnx"
    assert settings.schedule.ingest_interval.total_seconds() == 1800
    assert settings.storage.chroma_host == "chroma.internal"
    assert settings.storage.data_dir == tmp_path / "data"  # NEWSBOT_DATA_DIR from conftest
    assert settings.discord.token is not None
    assert settings.discord.token.get_secret_value() == "abc.def"
    dumped = repr(settings) + str(settings.model_dump())
    assert "abc.def" not in dumped and "sk-secret" not in dumped


def test_discord_token_env_beats_dotenv(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("DISCORD_TOKEN=from.file\n")
    monkeypatch.setenv("DISCORD_TOKEN", "from.env")
    assert Settings().discord.token.get_secret_value() == "from.env"


def test_the_nested_name_wins_over_the_flat_one(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSBOT_LLM_MODEL", "flat:model")
    monkeypatch.setenv("NEWSBOT_LLM__MODEL", "nested:model")
    monkeypatch.setenv("NEWSBOT_DIGEST__TOP_STORIES", "9")
    (tmp_path / ".env").write_text("NEWSBOT_FETCH_RETRIES=1\nNEWSBOT_FETCH__RETRIES=3\n"
                                   "NEWSBOT_DIGEST_TOP_STORIES=2\n")
    settings = Settings()
    assert settings.fetch.retries == 3
    assert settings.llm.model == "nested:model"
    assert settings.digest.top_stories == 9  # nested in the environment, flat in .env


def test_explicit_overrides_win_over_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("NEWSBOT_STORAGE__DATA_DIR", "/from/env")
    monkeypatch.setenv("NEWSBOT_STORAGE__CHROMA_PORT", "9000")
    settings = load_settings(data_dir=tmp_path, llm_model="openai:x", fetch={"retries": 5})
    assert settings.storage.data_dir == tmp_path
    assert settings.storage.chroma_port == 9000
    assert settings.llm.model == "openai:x"
    assert settings.fetch.retries == 5


def test_unknown_dotenv_keys_name_the_nested_setting(tmp_path):
    (tmp_path / ".env").write_text("NEWSBOT_DTA_DIR=x\n")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "NEWSBOT_DTA_DIR in .env is not a setting" in message
    assert "did you mean NEWSBOT_STORAGE__DATA_DIR?" in message
    assert "\n" not in message

    (tmp_path / ".env").write_text("NEWSBOT_FETCH__RETRYS=1\n")
    with pytest.raises(ConfigError, match=r"NEWSBOT_FETCH__RETRYS .*did you mean "
                                          r"NEWSBOT_FETCH__RETRIES\?"):
        load_settings()


def test_bad_values_are_one_line_and_secrets_are_never_echoed(tmp_path, monkeypatch):
    with pytest.raises(ValidationError):
        Settings(_env_file=None, allow_hosts="not-a-cidr/99")
    monkeypatch.setenv("NEWSBOT_FETCH__ALLOW_HOSTS", "not-a-cidr/99")
    with pytest.raises(ConfigError, match=r"^NEWSBOT_FETCH__ALLOW_HOSTS: .*not-a-cidr"):
        load_settings()
    monkeypatch.delenv("NEWSBOT_FETCH__ALLOW_HOSTS")
    monkeypatch.setenv("NEWSBOT_LLM__API_KEY", "sk-secret")
    with pytest.raises(ConfigError) as caught:
        load_settings(llm_api_key=["sk-secret-in-a-list"], discord_token={"t": "tok.secret"})
    message = str(caught.value)
    assert "NEWSBOT_LLM__API_KEY" in message and "DISCORD_TOKEN" in message
    assert "secret" not in message.replace("NEWSBOT", "")


def test_replace_takes_flat_names_and_validates(settings):
    changed = settings.replace(fetch_article_pages=False, allow_hosts="localhost",
                               llm_model="openai:gpt-4o-mini", now="2026-11-20T12:00:00")
    assert changed.fetch.article_pages is False
    assert changed.fetch.allowed_hosts == ("localhost",)
    assert changed.llm.model == "openai:gpt-4o-mini"
    assert changed.now is not None and changed.now.tzinfo is not None
    # untouched values of the same groups survive, and the original is unchanged
    assert changed.fetch.timeout == settings.fetch.timeout == 2.0
    assert changed.storage == settings.storage
    assert settings.fetch.article_pages is True and settings.llm.model is None
    with pytest.raises(ConfigError, match="NEWSBOT_EMBEDDING__BACKEND"):
        settings.replace(embedding_backend="gpu")
    with pytest.raises(ConfigError, match="NO_SUCH"):
        settings.replace(no_such=1)


def test_derived_paths(settings, tmp_path):
    assert settings.storage.sqlite_path == tmp_path / "data" / "newsbot.sqlite3"
    assert settings.storage.chroma_path == tmp_path / "data" / "chroma"
    assert settings.replace(model_cache_dir=None).model_cache == tmp_path / "data" / "models"


def test_embedding_batch_size_default_is_the_encoders():
    from newsbot.embedding import BATCH_SIZE

    assert Settings().embedding.batch_size == BATCH_SIZE
