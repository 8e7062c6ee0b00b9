"""User-facing errors: each message is written for the person who will read it."""

from __future__ import annotations


class NewsbotError(Exception):
    """Base class; str(error) is safe to show to a user."""


class QuestionTooLong(NewsbotError):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(
            f"That question is {length:,} characters long; please keep it under {limit:,}."
        )


class EmptyQuestion(NewsbotError):
    def __init__(self) -> None:
        super().__init__("Please ask a question, e.g. 'What is new in CAR-T for lupus?'")


class FeedError(NewsbotError):
    """A feed could not be fetched or parsed."""


class InvalidFeedURL(FeedError):
    pass


class BlockedAddress(FeedError):
    pass


class StoreUnavailable(NewsbotError):
    """The vector store or database cannot be reached or opened."""


class StoreLocked(StoreUnavailable):
    pass


class EmbeddingMismatch(StoreUnavailable):
    """The collection holds vectors of another kind than the configured embedder makes."""


class StoreReadOnly(NewsbotError):
    """The data dir cannot be written: it is served read-only."""

    def __init__(self, where: object) -> None:
        super().__init__(
            f"The news store in {where} is read-only: ask, search, status and articles work, "
            "but nothing can be ingested or changed until it is writable."
        )


class DiskFull(NewsbotError):
    """A write failed because the disk holding the data dir is full."""


class IngestBusy(NewsbotError):
    def __init__(self) -> None:
        super().__init__("An ingestion run is already in progress; try again when it finishes.")


class LLMUnavailable(NewsbotError):
    """The configured language model failed; callers fall back to extractive answers."""
