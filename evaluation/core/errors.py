"""The one error type for things a user can get wrong (README "Errors and recovery").

Entry points report a :class:`UserError` as one ``error: …`` line (exit status 2) and let every
other exception through with its traceback: a bug must never look like a bad input. Code that
checks input (config values, files, manifests, weights) raises a ``UserError`` that names the
file or the config key and the problem. No third-party imports: every package may use it.
"""

from __future__ import annotations

import os


class UserError(Exception):
    """Bad input (a file, a config value, a flag, a missing optional package); the message says what and where."""


class InputError(UserError, ValueError):
    """A file or folder is missing, malformed, truncated or corrupt; the message starts with its path."""

    def __init__(self, path: str | os.PathLike, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ConfigError(UserError, ValueError):
    """A config value has the wrong type or is out of range; the message names ``section.key``."""


class MissingDependencyError(UserError, ImportError):
    """An optional package is not installed; the message says how to install it."""
