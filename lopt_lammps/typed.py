"""Frozen dataclasses built from YAML mappings, every value checked against its type hint.

``build(TrainConfig, data, "training configuration")`` turns YAML lists into tuples,
nested mappings into nested dataclasses, and refuses an unknown key or a value of the
wrong type with one line naming it (``training configuration: network.hidden: 5 is not a
list of whole numbers``). Range checks stay with the dataclasses (``__post_init__``).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from .errors import ConfigError

T = TypeVar("T")


def build(cls: type[T], data: Any, where: str, path: str | None = None) -> T:
    """An instance of the dataclass ``cls`` from the mapping ``data``; errors start with ``where``
    and name keys below ``path`` (a key of an enclosing mapping) when given."""
    return _dataclass(cls, data, where, path or where)


def _dataclass(cls: type[T], data: Any, where: str, path: str) -> T:
    if not isinstance(data, Mapping):
        what = where if path == where else f"{where}: {path}"
        raise ConfigError(f"{what} must be a mapping of settings, not {data!r}")
    known = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(k if isinstance(k, str) and k.isidentifier() else repr(k) for k in data if k not in known)
    if unknown:
        inside = "" if path == where else f" in {path}"
        raise ConfigError(f"{where}: unknown settings{inside}: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    hints = typing.get_type_hints(cls)
    prefix = "" if path == where else f"{path}."
    values = {key: _value(value, hints[key], where, f"{prefix}{key}") for key, value in data.items()}
    try:
        return cls(**values)
    except (TypeError, ValueError) as err:
        message = str(err).removeprefix(f"{where}: ")
        raise ConfigError(f"{where}: {message}") from None


def _value(value: Any, hint: Any, where: str, path: str) -> Any:
    """``value`` converted to ``hint`` (tuples from lists), or a :class:`ConfigError`."""
    if dataclasses.is_dataclass(hint):
        return _dataclass(hint, value, where, path)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _value(value, inner, where, path)
    converted = _convert(value, hint, origin, args, where, path)
    if converted is _WRONG:
        raise ConfigError(f"{where}: {path}: {value!r} is not {describe(hint)}")
    return converted


_WRONG = object()


def _convert(value: Any, hint: Any, origin: Any, args: tuple, where: str, path: str) -> Any:
    if hint is Any:
        return value
    if hint is bool:
        return value if isinstance(value, bool) else _WRONG
    if hint is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else _WRONG
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return float(value) if ok else _WRONG
    if hint is str:
        return value if isinstance(value, str) else _WRONG
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            return _WRONG
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_value(v, args[0], where, f"{path}[{k}]") for k, v in enumerate(value))
        if len(value) != len(args):
            return _WRONG
        return tuple(_value(v, a, where, f"{path}[{k}]") for k, (v, a) in enumerate(zip(value, args)))
    if origin is dict:
        return dict(value) if isinstance(value, Mapping) else _WRONG
    raise TypeError(f"no conversion to {hint!r} ({path})")


def describe(hint: Any) -> str:
    """What a value of type ``hint`` is, in words: ``a list of whole numbers``."""
    names = {bool: "true or false", int: "a whole number", float: "a finite number", str: "a text", Any: "a value"}
    if hint in names:
        return names[hint]
    if dataclasses.is_dataclass(hint):
        return "a mapping of settings"
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        return f"{describe(inner)} or null"
    if origin is dict:
        return "a mapping"
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return f"a list of {_plural(_bare(describe(args[0])))}"
    if origin is tuple:
        return f"a list of {len(args)} ({', '.join(_bare(describe(a)) for a in args)})"
    return repr(hint)


def _bare(text: str) -> str:
    return text.removeprefix("a ")


def _plural(text: str) -> str:
    if text.startswith("list "):
        return "lists " + text.removeprefix("list ")
    return text if " or " in text else text + "s"
