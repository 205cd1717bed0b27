"""The ComfyUI provider: built-in workflows per op, or the author's own exported workflow."""

from bookbuild.providers.comfyui.options import ComfyUIOptions
from bookbuild.providers.comfyui.provider import ComfyUIProvider

__all__ = ["ComfyUIOptions", "ComfyUIProvider"]
