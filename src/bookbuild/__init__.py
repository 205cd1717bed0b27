"""bookbuild: illustrated books from a YAML spec, built reproducibly."""

__version__ = "0.1.0"
