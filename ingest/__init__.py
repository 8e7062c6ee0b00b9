"""Ingestion: fetch feeds, extract and clean text, keep what is on topic, dedupe, embed, store."""
