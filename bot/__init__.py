"""The Discord bot: a thin adapter over the newsbot core (see bot.main for the entry point)."""
