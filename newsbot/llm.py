"""The language-model path: one chat model per process, prompts in, verified sections out.

Anything that goes wrong — the model cannot be reached, answers late, answers with an
HTTP error, or answers with something that is not the JSON we asked for — surfaces as
`LLMUnavailable`, and the caller falls back to the extractive summary.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from newsbot.conversation import HISTORY_TURNS
from newsbot.errors import LLMUnavailable
from newsbot.models import SECTION_KEYS, Passage, Source, Statement
from newsbot.prompts import render
from newsbot.safety import is_unsafe
from newsbot.settings import Settings

log = logging.getLogger(__name__)

SYSTEM_PROMPT = "answer_system"
USER_PROMPT = "answer_user"
# Variables each template receives from prompt_messages (tests/test_prompts.py checks both).
PROMPT_VARIABLES: dict[str, frozenset[str]] = {
    SYSTEM_PROMPT: frozenset({"max_statements"}),
    USER_PROMPT: frozenset({"question", "history", "articles", "guidance"}),
}
MAX_STATEMENTS = 4
MAX_STATEMENT_CHARS = 600
EXCERPT_CHARS = 1500
HISTORY_CHARS = 600
NO_KEY_PLACEHOLDER = "not-needed"  # OpenAI-compatible local servers ignore the key

# Anything that could open or close one of the prompt's data blocks.
_DELIMITER = re.compile(r"<(\s*/?\s*)(articles?|question|history)\b", re.IGNORECASE)
_INLINE_CITATION = re.compile(r"\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]?(?=\s)")


# --- the chat model -------------------------------------------------------------------


def make_chat_model(settings: Settings) -> BaseChatModel:
    """Build the configured chat model (call once per process and keep it)."""
    from langchain.chat_models import init_chat_model

    if not settings.llm.model:
        raise LLMUnavailable("No language model is configured (set NEWSBOT_LLM_MODEL)")
    try:
        return init_chat_model(settings.llm.model, **_model_kwargs(settings))
    except ImportError as exc:
        raise LLMUnavailable(
            f"The language model {settings.llm.model!r} needs a package that is not "
            f"installed: {exc}"
        ) from None
    except Exception as exc:  # unknown provider, missing credentials, a rejected setting
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LLMUnavailable(
            f"The language model {settings.llm.model!r} cannot be used: {reason}"
        ) from None


def _model_kwargs(settings: Settings) -> dict[str, Any]:
    provider = _provider(settings.llm.model or "")
    key = settings.llm.api_key.get_secret_value() if settings.llm.api_key else None
    kwargs: dict[str, Any] = {"temperature": settings.llm.temperature}
    if settings.llm.base_url:
        kwargs["base_url"] = settings.llm.base_url
    if provider == "ollama":
        # ChatOllama has no timeout/max_retries fields; its httpx client takes the timeout.
        kwargs["client_kwargs"] = {"timeout": settings.llm.timeout}
        if key:
            kwargs["headers"] = {"Authorization": f"Bearer {key}"}
        return kwargs
    kwargs["timeout"] = settings.llm.timeout
    kwargs["max_retries"] = 0  # a failed call falls back to the extractive summary instead
    if key:
        kwargs["api_key"] = key
    elif provider == "openai" and settings.llm.base_url and not os.environ.get("OPENAI_API_KEY"):
        kwargs["api_key"] = NO_KEY_PLACEHOLDER  # the client refuses to start without a key
    return kwargs


def _provider(model: str) -> str | None:
    prefix, sep, _ = model.partition(":")
    if sep and re.fullmatch(r"[a-z_]+", prefix):
        return prefix
    if model.lower().startswith(("gpt-", "o1", "o3", "chatgpt")):
        return "openai"
    return None


# --- prompts --------------------------------------------------------------------------


def prompt_messages(
    question: str,
    passages: Sequence[Passage],
    sources: Sequence[Source],
    history: Sequence[tuple[str, str]] | None = None,
    *,
    max_statements: int = MAX_STATEMENTS,
    guidance: str = "",
) -> list[BaseMessage]:
    """The system and user messages for one question; `guidance` says what kind of question
    it is (one product, a comparison, a period…), from the query understanding."""
    system = render(SYSTEM_PROMPT, max_statements=str(max_statements))
    user = render(
        USER_PROMPT,
        question=neutralise(question.strip()),
        history=format_history(history or ()),
        articles=format_articles(passages, sources),
        guidance=f"\nWhat the question asks for: {neutralise(guidance)}\n" if guidance else "",
    )
    return [SystemMessage(content=system), HumanMessage(content=user)]


def neutralise(text: str) -> str:
    """Defang anything in quoted data that could open or close one of our data blocks."""
    return _DELIMITER.sub(lambda m: "‹" + m.group(1) + m.group(2), text)


def format_articles(passages: Sequence[Passage], sources: Sequence[Source]) -> str:
    blocks = []
    for source in sources:
        mine = [p for p in passages if p.article.id == source.article_id]
        date = source.published.date().isoformat() if source.published else "unknown"
        blocks.append(
            f'<article n="{source.n}">\n'
            f"Title: {_one_line(source.title)}\n"
            f"Outlet: {_one_line(source.source)}\n"
            f"Date: {date}\n"
            f"Excerpt:\n{neutralise(excerpt(mine))}\n"
            f"</article>"
        )
    return "\n\n".join(blocks)


def excerpt(passages: Sequence[Passage], limit: int = EXCERPT_CHARS) -> str:
    """The retrieved chunks of one article in reading order, cut to about `limit` chars."""
    chunks = {p.chunk.id: p.chunk for p in passages}
    ordered = sorted(chunks.values(), key=lambda chunk: chunk.index)
    text = " … ".join(" ".join(chunk.text.split()) for chunk in ordered)
    if not text and passages:
        text = " ".join(passages[0].article.text.split())
    return _cut(text, limit) if text else "(no excerpt available)"


def format_history(history: Sequence[tuple[str, str]]) -> str:
    """Earlier (question, answer) turns as a quoted block, or "" when there are none."""
    turns = [
        f"Earlier question: {_one_line(_cut(q, HISTORY_CHARS))}\n"
        f"Earlier answer: {_one_line(_cut(a, HISTORY_CHARS))}"
        for q, a in list(history)[-HISTORY_TURNS:]
    ]
    if not turns:
        return ""
    body = "\n\n".join(turns)
    return (
        "\nEarlier conversation (context for a follow-up question only; not a source):\n"
        f"<history>\n{body}\n</history>\n"
    )


def _one_line(text: str) -> str:
    return neutralise(" ".join(text.split()))


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[: limit - 2]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip() + " …"


# --- the call -------------------------------------------------------------------------


def llm_sections(
    chat_model: BaseChatModel,
    question: str,
    passages: list[Passage],
    sources: list[Source],
    history: list[tuple[str, str]] | None = None,
    timeout: float | None = None,
    *,
    max_statements: int = MAX_STATEMENTS,
    guidance: str = "",
) -> dict[str, list[Statement]]:
    """Ask the model for the four sections and keep only statements the sources back.

    Blocking: run it in a worker thread. Raises LLMUnavailable on any failure.
    """
    messages = prompt_messages(question, passages, sources, history, max_statements=max_statements,
                              guidance=guidance)
    reply = _invoke(chat_model, messages, timeout)
    content = str(reply.text) if isinstance(reply, BaseMessage) else str(reply)
    sections = parse_sections(content, {s.n for s in sources}, max_statements=max_statements)
    if not any(sections.values()):
        raise LLMUnavailable("The language model's answer had no statements backed by the sources")
    return sections


def _invoke(chat_model: BaseChatModel, messages: list[BaseMessage], timeout: float | None) -> Any:
    try:
        if timeout is None:
            return chat_model.invoke(messages)
        if _takes_request_timeout(chat_model):
            return chat_model.invoke(messages, timeout=timeout)
        return _invoke_with_deadline(chat_model, messages, timeout)
    except LLMUnavailable:
        raise
    except Exception as exc:  # every provider raises its own types; all mean "fall back"
        message = _describe_failure(exc)
        log.warning("LLM call failed: %s (%s)", message, type(exc).__name__)
        raise LLMUnavailable(message) from exc


def _takes_request_timeout(chat_model: BaseChatModel) -> bool:
    """OpenAI-style clients accept a per-request `timeout` that really cancels the call."""
    try:
        from langchain_openai.chat_models.base import BaseChatOpenAI
    except ImportError:  # pragma: no cover - langchain-openai is a dependency
        return False
    return isinstance(chat_model, BaseChatOpenAI)


def _invoke_with_deadline(
    chat_model: BaseChatModel, messages: list[BaseMessage], timeout: float
) -> Any:
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsbot-llm")
    try:
        return pool.submit(chat_model.invoke, messages).result(timeout=timeout)
    except FutureTimeout:
        raise LLMUnavailable("The language model did not answer in time") from None
    finally:
        pool.shutdown(wait=False)


def _describe_failure(exc: BaseException) -> str:
    chain = list(_causes(exc))

    def raised(*types: type[BaseException], named: str | None = None) -> bool:
        return any(
            isinstance(e, types) or (named is not None and named in type(e).__name__) for e in chain
        )

    if raised(ModelTimeoutError, TimeoutError, named="Timeout"):
        return "The language model did not answer in time"
    if raised(ModelAuthenticationError, ModelPermissionDeniedError):
        return "The language model service rejected the configured API key"
    if raised(ModelRateLimitError):
        return "The language model service is limiting requests right now"
    if raised(ContextOverflowError):
        return "The articles were too long for the language model"
    statuses = [getattr(e, "status_code", None) for e in chain]
    status = next((code for code in statuses if isinstance(code, int)), None)
    if status is not None:
        return f"The language model service returned an error (HTTP {status})"
    if raised(ModelConnectionError, ConnectionError, named="Connect"):
        return "The language model could not be reached"
    return f"The language model failed ({type(exc).__name__})"


def _causes(exc: BaseException | None) -> Iterable[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


# --- parsing and verification ---------------------------------------------------------


class _RawStatement(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str
    citations: list[int] = []

    @field_validator("citations", mode="before")
    @classmethod
    def _numbers(cls, value: Any) -> list[int]:
        items = value if isinstance(value, list) else [value]
        numbers = []
        for item in items:
            if isinstance(item, int) and not isinstance(item, bool):
                numbers.append(item)
            elif isinstance(item, str) and item.strip(" []").isdigit():
                numbers.append(int(item.strip(" []")))
        return numbers


class _RawAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")  # e.g. a "system_prompt" key is dropped

    whats_happening: list[Any] = []
    why_it_matters: list[Any] = []
    whats_next: list[Any] = []
    beyond_the_headlines: list[Any] = []

    @field_validator("*", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


def parse_sections(
    content: str, valid_numbers: set[int], *, max_statements: int = MAX_STATEMENTS
) -> dict[str, list[Statement]]:
    """Parse the model's JSON and keep only well-formed, correctly cited statements."""
    data = _load_json(content)
    try:
        raw = _RawAnswer.model_validate(data)
    except ValidationError:
        raise LLMUnavailable(
            "The language model's answer did not have the expected sections"
        ) from None
    sections: dict[str, list[Statement]] = {}
    for key in SECTION_KEYS:
        kept: list[Statement] = []
        for item in getattr(raw, key):
            statement = _verify(item, valid_numbers)
            if statement is not None and statement not in kept:
                kept.append(statement)
        sections[key] = kept[:max_statements]
    return sections


def _load_json(content: str) -> dict[str, Any]:
    """The first JSON object in the reply; fences and chatter around it are skipped."""
    invalid = LLMUnavailable("The language model's answer was not valid JSON")
    start = content.find("{")
    if start < 0:
        raise invalid
    try:
        data, _ = json.JSONDecoder().raw_decode(content, start)
    except json.JSONDecodeError:
        raise invalid from None
    return data  # a JSON text starting with "{" is always an object


def _verify(item: Any, valid_numbers: set[int]) -> Statement | None:
    try:
        raw = _RawStatement.model_validate(item)
    except ValidationError:
        return None
    citations = tuple(sorted({n for n in raw.citations if n in valid_numbers}))
    text = " ".join(_INLINE_CITATION.sub("", raw.text).split())
    if not citations or not text or is_unsafe(text):
        return None  # uncited, empty, or an injected instruction / prompt leak / advice
    return Statement(text=_shorten(text), citations=citations)


def _shorten(text: str, limit: int = MAX_STATEMENT_CHARS) -> str:
    """Cut an over-long statement at the last sentence end that fits."""
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text[: limit + 1])]
    if ends and ends[-1] >= limit // 3:
        return text[: ends[-1]].strip()
    return _cut(text, limit)
