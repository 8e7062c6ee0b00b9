"""The only code that speaks SQL or Chroma (see Store)."""
