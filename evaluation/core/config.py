"""The project's one config system: mmengine ``.py`` configs, closed to typos (README: User guide).

Every entry point calls :func:`parse_cli`, which

1. takes an optional config path (``configs/...py``, mmengine ``_base_`` inheritance and
   ``{{$PISA_DATA_ROOT:./data}}`` environment substitution),
2. applies ``--section.key=value`` overrides, which may only touch keys that already exist,
3. leaves the conversion of each section into the dataclass declared by the module it
   configures to :func:`section`, where an unknown key raises ``TypeError``.

This module lives in ``evaluation`` because ``evaluation`` is the package everything may import
(README: Layout); it needs mmengine but not torch.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import os
import sys
import types
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from evaluation.core.errors import ConfigError, UserError

T = TypeVar("T")
ROOT_ENV_DEFAULTS = {"PISA_DATA_ROOT": "./data", "PISA_CKPT_ROOT": "./models", "PISA_OUT_ROOT": "./outputs"}


def artifact_root(name: str) -> Path:
    """The artifact root ``name`` (``PISA_DATA_ROOT``, ``PISA_CKPT_ROOT``, ``PISA_OUT_ROOT``) as the environment sets it.

    The one place the defaults live for Python code (configs use ``{{$PISA_OUT_ROOT:./outputs}}``,
    the scripts ``scripts/setup_env.sh``, which also prints them).
    """
    return Path(os.environ.get(name, ROOT_ENV_DEFAULTS[name]))


def parse_value(text: str) -> Any:
    """Parse an override value: a Python literal if it is one (``1e-4``, ``[1, 2]``, ``None``), else the string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        return text


def parse_overrides(args: Sequence[str]) -> dict[str, Any]:
    """``["--eval.workers=4", "--figures.enabled", "false"]`` → ``{"eval.workers": 4, "figures.enabled": False}``."""
    out: dict[str, Any] = {}
    it = iter(args)
    for arg in it:
        if not arg.startswith("--") or len(arg) <= 2:
            raise ConfigError(f"unexpected argument {arg!r}; overrides look like --section.key=value")
        key, sep, value = arg[2:].partition("=")
        if not sep:
            try:
                value = next(it)
            except StopIteration:
                raise ConfigError(f"override {arg!r} has no value") from None
        out[key.replace("-", "_")] = parse_value(value)
    return out


def split_overrides(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """``(overrides, the rest)``: ``--section.key=value`` / ``--section.key value`` tokens taken out first.

    argparse reads a token holding a space (``--backbone.negative_prompt=worst quality``) as a
    positional argument, i.e. as the config path; overrides are recognised by the dot in their key
    before argparse sees them, so values with spaces work in both spellings.
    """
    overrides, rest = [], []
    it = iter(argv)
    for arg in it:
        key, sep, _ = arg[2:].partition("=") if arg.startswith("--") else ("", "", "")
        if "." not in key or " " in key:
            rest.append(arg)
            continue
        overrides.append(arg)
        if not sep:
            value = next(it, None)
            if value is not None:
                overrides.append(value)
    return overrides, rest


def load_config(path: str | os.PathLike, overrides: dict[str, Any] | None = None):
    """Load an mmengine config and apply overrides to existing keys only.

    Raises:
        ConfigError: the config file does not exist or cannot be parsed (syntax error, bad
            ``_base_``), or an override names a key the config does not have (a typo).
    """
    from unittest import mock

    from mmengine.config import Config  # lazy: keep `--help` and imports light

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    # mmengine reports every {{$VAR:default}} substitution through its MMLogger, whose creation
    # imports torch (~1 s): drop those messages instead (the roots are printed by the scripts)
    try:
        with mock.patch("mmengine.config.config.print_log", lambda *a, **k: None):
            cfg = Config.fromfile(str(path))
    except Exception as e:  # mmengine re-raises syntax errors, bad _base_ paths and exec errors
        raise ConfigError(f"{path}: cannot load the config ({type(e).__name__}: {e})") from e
    for dotted, value in (overrides or {}).items():
        node = cfg
        parts = dotted.split(".")
        for i, part in enumerate(parts):
            if not hasattr(node, "keys") or part not in node:
                known = ", ".join(sorted(node.keys())) if hasattr(node, "keys") else "(not a section)"
                raise ConfigError(f"{path}: override --{dotted}: no key {'.'.join(parts[: i + 1])!r}; known: {known}")
            if i < len(parts) - 1:
                node = node[part]
        node[parts[-1]] = value
    return cfg


def _type_name(tp) -> str:
    if tp is type(None):
        return "None"
    if isinstance(tp, type) and not typing.get_args(tp):
        return tp.__name__
    return str(tp).replace("typing.", "")


def _matches(value: Any, tp) -> bool:
    """Whether ``value`` fits the annotation ``tp`` (bool is not an int; an int is a float)."""
    if tp is Any or tp is object:
        return True
    if tp is type(None) or tp is None:
        return value is None
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in args)
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is str:
        return isinstance(value, str)
    if tp in (list, tuple) or origin in (list, tuple):  # configs write lists and tuples interchangeably
        if not isinstance(value, (list, tuple)):
            return False
        if origin is tuple and args and args[-1] is not Ellipsis:
            return len(value) == len(args) and all(_matches(v, a) for v, a in zip(value, args, strict=True))
        return all(_matches(v, args[0]) for v in value) if args else True
    if tp is dict or origin is dict:
        if not hasattr(value, "items"):
            return False
        if args:
            return all(_matches(k, args[0]) and _matches(v, args[1]) for k, v in value.items())
        return True
    if isinstance(tp, type):
        return isinstance(value, tp)
    return True  # an annotation this checker does not model (none in the config sections today)


def check_value(where: str, value: Any, tp) -> None:
    """Raise :class:`ConfigError` naming ``where`` when ``value`` does not fit ``tp``."""
    if _matches(value, tp):
        return
    hint = ""
    if (
        typing.get_origin(tp) in (list, tuple)
        or tp in (list, tuple)
        or any(typing.get_origin(a) in (list, tuple) for a in typing.get_args(tp))
    ):
        if isinstance(value, str):
            hint = f" (write a list: --{where}=\"['{value}']\")"
    raise ConfigError(f"{where} = {value!r} ({type(value).__name__}): expected {_type_name(tp)}{hint}")


def section(cfg, name: str, cls: type[T]) -> T:
    """Convert config section ``name`` into dataclass ``cls``, checking every value's type.

    Raises:
        ConfigError: the section is missing, has an unknown key, a value of the wrong type or a
            value the dataclass rejects; the message names the config file and ``name.key``.
    """
    source = getattr(cfg, "filename", None) or "config"
    raw = cfg.get(name) if hasattr(cfg, "get") else cfg[name]
    if raw is None:
        raise ConfigError(f"{source}: config has no section {name!r}")
    if not hasattr(raw, "keys"):
        raise ConfigError(f"{source}: {name} must be a section (dict), got {raw!r}")
    data = raw.to_dict() if hasattr(raw, "to_dict") else dict(raw)
    hints = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
    allowed = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {unknown} in config section {name!r}; allowed: {sorted(allowed)}")
    for key, value in data.items():
        try:
            check_value(f"{name}.{key}", value, hints[key])
        except ConfigError as e:
            raise ConfigError(f"{source}: {e}") from None
    try:
        return cls(**data)
    except (ValueError, TypeError) as e:  # __post_init__ range checks
        raise ConfigError(f"{source}: section {name!r}: {e}") from e


def parse_cli(
    argv: Sequence[str] | None,
    *,
    prog: str,
    description: str,
    default_config: str,
    add_flags: Callable[[argparse.ArgumentParser], None] | None = None,
) -> tuple[argparse.Namespace, Any]:
    """Parse ``[config] [--flags] [--section.key=value ...]`` and load the config.

    Returns:
        The argparse namespace of the named flags and the loaded, overridden mmengine config.
    """
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Any config key can be overridden with --section.key=value (existing keys only).",
    )
    parser.add_argument(
        "config", nargs="?", default=default_config, help=f"mmengine config (default: {default_config})"
    )
    if add_flags is not None:
        add_flags(parser)
    overrides, named = split_overrides(sys.argv[1:] if argv is None else list(argv))
    args, rest = parser.parse_known_args(named)
    try:
        cfg = load_config(args.config, parse_overrides([*rest, *overrides]))
    except UserError as e:
        parser.error(str(e))
    return args, cfg


def set_if_given(cfg, dotted: str, value: Any) -> None:
    """Copy a CLI flag into the config when the user gave it (``None`` means not given)."""
    if value is None:
        return
    node = cfg
    *parents, last = dotted.split(".")
    for p in parents:
        node = node[p]
    if last not in node:
        raise ConfigError(f"config has no key {dotted!r}")
    node[last] = value


def copy_flags(cfg, section_name: str, flags, keys) -> None:
    """Copy the given CLI flags (those not None) into ``cfg.<section_name>.<key>``."""
    for key in keys:
        set_if_given(cfg, f"{section_name}.{key}", getattr(flags, key))


def run_reporting_errors(run, cfg) -> int:
    """``run(cfg)``, turning a :class:`UserError` into one ``error: …`` line and exit status 2.

    Any other exception is a bug and keeps its traceback.
    """
    try:
        return run(cfg)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def exit_now(status: int) -> None:
    """End a finished CLI process: run the ``atexit`` handlers, flush, then ``os._exit``.

    Skips only the interpreter's own teardown, which after numba has compiled or loaded a kernel
    (LLVM's objects) takes ~0.25 s, longer than scoring dozens of videos. Call it last, once every
    output is written and closed.
    """
    import atexit
    import logging

    atexit._run_exitfuncs()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def config_to_dict(cfg) -> dict:
    """A JSON-safe dict of the whole config, for records and summaries."""
    return json.loads(json.dumps(cfg.to_dict(), default=str))
