"""The offline provider: free, deterministic drafts made locally."""

from bookbuild.providers.offline.provider import OfflineProvider

__all__ = ["OfflineProvider"]
