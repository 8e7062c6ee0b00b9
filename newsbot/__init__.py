"""newsbot core: settings, storage, retrieval, summarising and digests.

The core never imports discord; the bot, the CLI and the tests are adapters over it.
"""

__version__ = "0.1.0"
