"""A task's ``run`` signature: checked when a Task class is defined, and described.

``TaskMeta`` (the metaclass of ``Task``) refuses a ``run`` that flowbook cannot call with
keyword arguments (``*args``, positional-only arguments), as Prefect 1 does, and warns when
a task is given to a Task's constructor instead of to its call.

>>> def run(x, y: int = 1) -> Tuple[int, int]:
...     return x, y
>>> infer_nout(run), inputs_of(run)["y"]["required"], inputs_of(run)["y"]["default"]
(2, False, 1)
"""

from __future__ import annotations

import functools
import inspect
import re
import typing
import warnings
from typing import Any, Callable, Tuple  # noqa: F401 - Tuple is used by the doctest

from flowbook.errors import UserTypeError

__all__ = ["RESERVED", "TaskMeta", "check_run", "infer_nout", "inputs_of", "outputs_of",
           "call_signature", "bind"]

# The keyword arguments of ``Task.__call__``: a ``run`` cannot take them.
RESERVED = ("upstream_tasks", "mapped", "task_args", "flow")


def check_run(run: Callable, owner: str, method: bool = False) -> inspect.Signature | None:
    """``run``'s signature; ValueError if tasks cannot take it (``*args``, reserved names),
    TypeError for positional-only arguments (tasks pass every input by keyword). ``method``:
    ``run`` is a Task class's, its first argument ``self``."""
    try:
        sig = inspect.signature(inspect.unwrap(run))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"This function can not be inspected: {run!r} ({owner}) has no "
                         "signature Python can read (a builtin or C function?); wrap it in "
                         "a def of your own to make it a task") from exc
    _refuse_positional_only(list(sig.parameters.values())[1 if method else 0:], owner)
    for param in sig.parameters.values():
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            raise ValueError(f"{owner}: *{param.name} is not supported, since tasks take "
                             "their inputs by name; take **kwargs instead")
    reserved = [name for name in sig.parameters if name in RESERVED]
    if reserved:
        raise ValueError(f"{owner}: argument names {', '.join(reserved)} are reserved for "
                         f"calling tasks ({', '.join(RESERVED)}); rename them")
    return sig


def bind(sig: inspect.Signature, args: tuple, kwargs: dict) -> dict:
    """Argument name -> value of calling ``sig`` with ``args`` and ``kwargs``: what
    ``sig.bind(*args, **kwargs).arguments`` holds, in the same order, with the entries of a
    ``**kwargs`` parameter in its place at the end; TypeError as ``sig.bind`` raises it.

    A call that binds plainly is bound here, five times faster than ``Signature.bind``
    (building a flow binds every task called); any other is left to ``sig.bind``."""
    binder = _binder(sig)
    if binder is not None:
        positional, names, required, var_kw = binder
        n = len(args)
        if n <= len(positional):
            out = dict(zip(positional, args)) if n else {}
            if not kwargs:
                if n >= required:
                    return out
            elif all(key not in out for key in kwargs):
                for name in names[n:]:
                    if name in kwargs:
                        out[name] = kwargs[name]
                if len(out) == len(kwargs) + n:
                    if all(name in out for name in names[n:required]):
                        return out
                elif var_kw and all(name in out for name in names[n:required]):
                    out.update((key, value) for key, value in kwargs.items()
                               if key not in out)
                    return out
    arguments = sig.bind(*args, **kwargs).arguments
    for param in sig.parameters.values():
        if param.kind is inspect.Parameter.VAR_KEYWORD and param.name in arguments:
            arguments.update(arguments.pop(param.name))
    return arguments


_BINDERS: dict = {}  # id(signature) -> (signature, its binder); emptied past 1,024


def _binder(sig: inspect.Signature) -> tuple | None:
    """``(positional names, names, number required, has **kwargs)`` of a signature whose
    parameters are plain (positional-or-keyword, then keyword-only, the required ones
    first in each), else None."""
    entry = _BINDERS.get(id(sig))
    if entry is not None and entry[0] is sig:
        return entry[1]
    binder: tuple | None = None
    kinds = [p.kind for p in sig.parameters.values()]
    var_kw = inspect.Parameter.VAR_KEYWORD in kinds
    params = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    plain = all(k in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
                for k in kinds[:len(params)])
    required = [p.default is inspect.Parameter.empty for p in params]
    if plain and required == sorted(required, reverse=True):  # the required ones first
        binder = (tuple(p.name for p in params
                        if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD),
                  tuple(p.name for p in params), sum(required), var_kw)
    if len(_BINDERS) >= 1024:
        _BINDERS.clear()
    _BINDERS[id(sig)] = (sig, binder)
    return binder


def _refuse_positional_only(params: list, owner: str) -> None:
    names = [p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_ONLY]
    if names:
        plain = re.sub(r"'([^']*)'$", r"\1", owner)  # Prefect 1's words: "task name"
        raise UserTypeError(
            f"Found positional-only parameters in the function signature for {plain}: "
            f"{names}. Prefect passes arguments using keywords and does not support "
            "positional-only parameters. Neither does flowbook: remove the '/' from the "
            "arguments")


def infer_nout(run: Callable) -> int | None:
    """How many results ``run`` returns, from a ``Tuple[...]`` return annotation, else None."""
    try:
        returns = typing.get_type_hints(run).get("return")
    except Exception:  # an annotation naming something not importable here: no inference
        return None
    if typing.get_origin(returns) is not tuple or returns in (Tuple, tuple):
        return None
    args = typing.get_args(returns)
    if args in ((), ((),)):
        return 0
    if len(args) == 2 and args[1] is Ellipsis:
        return None  # Tuple[int, ...]: any length
    return len(args)


def inputs_of(run: Callable) -> dict:
    """Argument name -> ``{"type", "required", "default"}`` from ``run``'s signature."""
    inputs = {}
    for name, param in inspect.signature(run).parameters.items():
        required = param.default is inspect.Parameter.empty
        inputs[name] = dict(
            type=Any if param.annotation is inspect.Parameter.empty else param.annotation,
            required=required, default=None if required else param.default)
    return inputs


def outputs_of(run: Callable) -> Any:
    """``run``'s return annotation (``typing.Any`` when there is none)."""
    returns = inspect.signature(run).return_annotation
    return Any if returns is inspect.Signature.empty else returns


_CALL_OPTIONS = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
                 for name, default in (("mapped", False), ("task_args", None),
                                       ("upstream_tasks", None), ("flow", None))]


def call_signature(run: Callable) -> inspect.Signature:
    """The signature of calling a task: ``run``'s arguments and the calling options."""
    params = list(inspect.signature(run).parameters.values())
    var_kw = [p for p in params if p.kind is inspect.Parameter.VAR_KEYWORD]
    params = [p for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD]
    return inspect.Signature([*params, *_CALL_OPTIONS, *var_kw], return_annotation="Task")


class TaskMeta(type):
    """Checks a Task class's ``run`` when the class is defined."""

    def __new__(mcs, name: str, bases: tuple, namespace: dict) -> "TaskMeta":
        if "run" in namespace:
            check_run(namespace["run"], f"task class {name!r}", method=True)
        if "__init__" in namespace:
            namespace = {**namespace, "__init__": _warning_of_task_arguments(
                namespace["__init__"])}
        return super().__new__(mcs, name, bases, namespace)


def _warning_of_task_arguments(init: Callable) -> Callable:
    @functools.wraps(init)
    def checked_init(self: Any, *args: Any, **kwargs: Any) -> None:
        if any(isinstance(type(a), TaskMeta) for a in (*args, *kwargs.values())):
            cls = type(self).__name__
            warnings.warn(f"A Task was passed as an argument to {cls}: a task's constructor "
                          "takes its settings, and calling the task takes its inputs; write "
                          f"{cls}(settings...)(inputs...)", UserWarning, stacklevel=2)
        init(self, *args, **kwargs)

    return checked_init
