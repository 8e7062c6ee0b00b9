"""Command-line and console adapters over the newsbot core."""
