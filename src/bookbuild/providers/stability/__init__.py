"""The Stability AI provider (REST v2beta, DreamStudio's API)."""
