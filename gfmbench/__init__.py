"""gfmbench: an open, reproducible benchmark hub for genomic foundation models.

Importing the package is cheap on purpose (no torch, transformers or datasets at import time): the CLI and
the registry must start fast, and heavy libraries are imported inside the functions that need them.
"""

from gfmbench._version import __version__

__all__ = ["__version__"]
