"""A plain command line read without typer: `render --dept 02 --out DIR`, as typed.

typer (0.29) coerces every option through a pydantic TypeAdapter: importing pydantic and
building the adapters costs ~0.1 s of every run, an eighth of a one-sheet render from a
fresh process. A command line made only of the command's own options, each in the
`--name value` form (a value not starting with "-") and given once unless repeatable, whose
values are of the plain kinds (text, a whole number within its bounds, a path through its
parser) and flags, means one thing whoever reads it: it is read here, from the very
declarations typer reads (the command's annotations), into the arguments typer would call
the command with. Anything else (a global option, --help, `--name=value`, an unknown or
repeated option, a value typer would refuse, a declaration of another kind) is left to
typer, which reads and reports it as always.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.models import OptionInfo
from typer.utils import get_params_from_function

# What an option may declare and still be read here: anything else (a callback, an
# environment variable, a prompt, path checks…) has typer read the command line.
_PLAIN_DECLARATIONS = frozenset({"param_decls", "default", "help", "metavar", "parser", "min", "max", "hidden"})
_WHOLE_NUMBER = re.compile(r"(?:0|[1-9][0-9]*)\Z")


class _Refused(Exception):
    """A command line, or a command, that typer must read."""


@dataclass(frozen=True)
class _Option:
    name: str  # the command's parameter
    flag: bool
    repeatable: bool
    default: Any
    convert: Callable[[str], Any]  # a value as typed -> the argument; _Refused when typer must read it


def plain_arguments(command: Callable, args: list[str]) -> dict[str, Any] | None:
    """The keyword arguments typer would call `command` with for `args` (what follows the
    command's name), or None when typer must read them."""
    try:
        options = _options_of(command)
        given: dict[str, Any] = {}
        index = 0
        while index < len(args):
            option = options.get(args[index])
            if option is None:
                return None
            if option.flag:
                value, index = True, index + 1
            elif index + 1 < len(args) and not args[index + 1].startswith("-"):
                value, index = option.convert(args[index + 1]), index + 2
            else:
                return None
            if option.repeatable:
                given.setdefault(option.name, []).append(value)
            elif option.name in given:
                return None
            else:
                given[option.name] = value
    except _Refused:
        return None
    return {option.name: given.get(option.name, option.default) for option in options.values()}


@functools.cache
def _options_of(command: Callable) -> dict[str, _Option]:
    """Option name ("--dept") -> its option, from `command`'s declarations as typer reads
    them (typer.utils); _Refused if one of them is not of a kind read here."""
    options = {}
    for name, meta in get_params_from_function(command).items():
        info = meta.default
        if not isinstance(info, OptionInfo):
            raise _Refused(name)
        _check_plain(info)
        option = _option(name, _without_none(meta.annotation), info)
        for declared in info.param_decls:
            if not declared.startswith("-") or "/" in declared:
                raise _Refused(declared)
            options[declared] = option
    return options


def _check_plain(info: OptionInfo) -> None:
    unset = vars(OptionInfo())
    for attribute, value in vars(info).items():
        if attribute not in _PLAIN_DECLARATIONS and value != unset.get(attribute):
            raise _Refused(attribute)


def _without_none(annotation: Any) -> Any:
    """`X` of `Optional[X]`, else the annotation itself."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        kinds = [kind for kind in typing.get_args(annotation) if kind is not type(None)]
        if len(kinds) == 1:
            return kinds[0]
    return annotation


def _option(name: str, kind: Any, info: OptionInfo) -> _Option:
    default = info.default
    if info.parser is not None and kind is not Path:
        raise _Refused(name)
    if kind is bool:
        return _Option(name, flag=True, repeatable=False, default=default, convert=_refused)
    if kind is str:
        return _Option(name, flag=False, repeatable=False, default=default, convert=str)
    if kind is int:
        return _Option(name, False, False, default, functools.partial(_whole_number, low=info.min, high=info.max))
    if kind is Path:
        return _Option(name, False, False, default, functools.partial(_path, parser=info.parser))
    if typing.get_origin(kind) is list and typing.get_args(kind) == (str,) and default is None:
        return _Option(name, flag=False, repeatable=True, default=default, convert=str)
    raise _Refused(name)


def _refused(text: str) -> Any:
    raise _Refused(text)


def _whole_number(text: str, *, low: int | None, high: int | None) -> int:
    """Digits only (what typer reads as the same number), within the option's bounds."""
    if not _WHOLE_NUMBER.match(text):
        raise _Refused(text)
    number = int(text)
    if (low is not None and number < low) or (high is not None and number > high):
        raise _Refused(text)
    return number


def _path(text: str, *, parser: Callable[[str], Path] | None) -> Path:
    if parser is None:
        return Path(text)
    try:
        return parser(text)
    except Exception as error:  # typer reports it (BadParameter), in French
        raise _Refused(text) from error
