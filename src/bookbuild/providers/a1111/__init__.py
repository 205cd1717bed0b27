"""`provider: a1111`: your own AUTOMATIC1111 / Forge / reForge web UI, started with `--api`."""

from bookbuild.providers.a1111.options import A1111Options
from bookbuild.providers.a1111.provider import A1111Provider

__all__ = ["A1111Options", "A1111Provider"]
