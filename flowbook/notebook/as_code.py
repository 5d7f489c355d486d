"""Python code for what a flow holds, as a script writes it: values as literals, functions
and classes by a name the script can bind, a task's options, and task functions as defs.

A function or class is named through flowbook (``triggers.always_run``,
``triggers.some_successful(at_least=2)``, ``cache.all_inputs``), the builtins, the notebook
(a top-level definition the notebook still binds; noted in ``Coder.needs``) or the module it
can be imported from (noted in ``Coder.imports``). What has no such code (a lambda, a lock,
an earlier definition) raises UserValueError saying what it is and what to do instead.

>>> from flowbook import triggers
>>> coder = Coder({})
>>> coder.text([1, "a", triggers.some_failed(at_most=0)], "an example")
'[1, "a", triggers.some_failed(at_most=0)]'
>>> coder.imports
{'triggers': 'flowbook'}
"""

from __future__ import annotations

import ast
import builtins
import datetime
import inspect
import io
import sys
import textwrap
import tokenize
from typing import Any

from flowbook import triggers
from flowbook.errors import UserValueError
from flowbook.notebook.cell_task import CellTask, _as_function
from flowbook.notebook.history import is_free, scan

__all__ = ["OPTIONS", "Coder", "literal", "option_values", "cell_function",
           "function_source"]

# Task options, in the order a decorator or task_args lists them.
OPTIONS = ("tags", "max_retries", "retry_delay", "retry_on", "timeout", "trigger",
           "skip_on_upstream_skip", "cache_for", "cache_validator", "cache_key", "checkpoint",
           "state_handlers", "log_stdout", "nout", "slug")
_TRIGGER_NAMES = ("always_run", *triggers.__all__)  # always_run before its alias all_finished


class Coder:
    """Writes values as code, noting the imports (local name -> module) and the notebook
    names (name -> who reads it) that code uses."""

    def __init__(self, namespace: dict):
        self.ns = namespace  # the notebook's globals
        self.imports: dict = {}
        self.needs: dict = {}

    def need(self, name: str, who: str) -> None:
        """Note that ``who`` reads the notebook's ``name`` (builtins need nothing)."""
        if is_free(name):
            self.needs.setdefault(name, who)

    def text(self, value: Any, what: str) -> str:
        """Code giving ``value``; ``what`` names it in a refusal."""
        code = literal(value)
        if code is not None:
            return code
        if isinstance(value, (list, tuple)):
            items = [self.text(v, what) for v in value]
            if isinstance(value, tuple):
                return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
            return f"[{', '.join(items)}]"
        if callable(value):
            return self._named(value, what)
        raise UserValueError(f"{what} is {_short(value)}, which cannot be written as a Python "
                             "literal; compute it in a task (or pass it as a Parameter) "
                             "instead")

    def _named(self, obj: Any, what: str) -> str:
        """A function or class: by its name in flowbook, builtins, the notebook or a module."""
        module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
        if module == "flowbook.triggers":
            self.imports["triggers"] = "flowbook"
            for candidate in _TRIGGER_NAMES:
                if getattr(triggers, candidate, None) is obj:
                    return f"triggers.{candidate}"
            if obj.__name__ in ("some_successful", "some_failed"):
                return f"triggers.{obj.__name__}({_bounds(obj)})"
        if module == "flowbook.engine.cache":
            self.imports["cache"] = "flowbook.engine"
            if name.endswith(".<locals>.validator"):
                keys = inspect.getclosurevars(obj).nonlocals["validate_on"]
                return f"cache.{name.split('.')[0]}(validate_on={keys!r})"
            return f"cache.{name}"
        if getattr(builtins, name, None) is obj:
            return name
        if name == "<lambda>" or "<locals>" in name:
            raise UserValueError(f"{what} is {_short(obj)}, a lambda or a function made "
                                 "inside another, which the script cannot name; define it "
                                 "with def at the top level of a cell")
        if module == "__main__":
            if self.ns.get(name) is not obj:
                raise UserValueError(f"{what} is an earlier definition of {name!r}, not the "
                                     "one the notebook has now; run the cell that builds the "
                                     "flow again")
            self.need(name, what)
            return name
        if getattr(sys.modules.get(module), name, None) is obj:
            self.imports[name] = module
            return name
        raise UserValueError(f"{what} is {_short(obj)}, which the script cannot import")

    def options(self, task: Any, base: dict, who: str, copy: bool = False) -> dict:
        """Option -> code, for the options of ``task`` that differ from ``base`` (option ->
        value); ``copy``: as ``task_args`` of a copy (attributes), not constructor arguments."""
        mine = option_values(task)
        texts: dict = {}
        for option in OPTIONS:
            value = mine[option]
            if value == base[option]:
                continue
            if option == "state_handlers":
                texts.update(self._handlers(value, who, copy))
            elif option == "tags":
                tags = ", ".join(self.text(tag, f"{who}: a tag") for tag in sorted(value))
                texts[option] = f"frozenset({{{tags}}})" if copy else f"[{tags}]"
            elif isinstance(value, datetime.timedelta):  # retry_delay, cache_for: in seconds
                texts[option] = repr(value.total_seconds())
            elif option == "retry_on":  # a set of exception classes
                texts[option] = self.text(sorted(value, key=lambda c: c.__qualname__),
                                          f"{who}: its retry_on")
            else:
                texts[option] = self.text(value, f"{who}: its {option}")
        return texts

    def _handlers(self, handlers: tuple, who: str, copy: bool) -> dict:
        """state_handlers, with a handler ``on_failure=`` made given back as that."""
        plain = [h for h in handlers if not _is_on_failure(h)]
        wrapped = [h for h in handlers if _is_on_failure(h)]
        if wrapped and (copy or len(wrapped) > 1 or handlers[-1] is not wrapped[0]):
            raise UserValueError(f"{who} has an on_failure handler given to a copy; give it "
                                 "as state_handlers instead")
        texts = {"state_handlers": self.text(plain, f"{who}: its state_handlers")} \
            if plain or not wrapped else {}
        if wrapped:
            fn = inspect.getclosurevars(wrapped[0]).nonlocals["on_failure"]
            texts["on_failure"] = self.text(fn, f"{who}: its on_failure")
        return texts


def literal(value: Any) -> str | None:
    """``repr(value)`` when it is a literal giving ``value`` back (a str in double quotes
    when it can be), else None."""
    try:
        text = repr(value)
        back = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if type(back) is not type(value) or back != value:
        return None
    if isinstance(value, str) and text.startswith("'") and '"' not in value:
        quoted = '"' + text[1:-1].replace("\\'", "'") + '"'
        return quoted if ast.literal_eval(quoted) == value else text
    return text


def option_values(task: Any) -> dict:
    """Option -> the task's value of it."""
    return {option: getattr(task, option) for option in OPTIONS}


def cell_function(task: CellTask) -> tuple:
    """(name, ``def`` with the inputs as parameters and the last expression returned,
    notebook names it reads) of a ``%%task`` cell's task."""
    body = _returning(task.source, task.tree)
    if body is None:  # a string spanning lines: indenting it would change it
        body = ast.unparse(_as_function(task.tree, task.inputs, task.name)).split("\n", 1)[1]
    function = f"def {task.name}({', '.join(task.inputs)}):\n{body}"
    _, _, reads = scan(function)  # task.reads has the body's own variables too
    return task.name, function, {n for n in reads if is_free(n)}


def function_source(fn: Any, who: str) -> tuple:
    """(name, ``def`` without its decorators, notebook names it reads) of a task's function."""
    if fn.__code__.co_freevars:
        raise UserValueError(f"{who} runs {fn.__qualname__}, which reads "
                             f"{', '.join(fn.__code__.co_freevars)} of the function it was "
                             "made in; define it at the top level of a cell")
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        raise UserValueError(f"{who} runs {fn.__qualname__}, whose source flowbook cannot "
                             "find (made with exec?); define it in a cell") from None
    node = ast.parse(source).body[0]
    body = textwrap.dedent("\n".join(source.splitlines()[node.lineno - 1:node.end_lineno]))
    binds, now, later = scan(body)
    return fn.__name__, body, {n for n in (now | later) - binds if is_free(n)}


def _returning(source: str, tree: ast.Module) -> str | None:
    """The cell's lines indented, the last expression returned; None if a string spans
    lines (indenting would change it)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    if any(tok.type == tokenize.STRING and tok.start[0] != tok.end[0] for tok in tokens):
        return None
    lines = source.splitlines()
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr):
        line = lines[last.lineno - 1]
        col = len(line.encode()[:last.col_offset].decode(errors="ignore"))
        lines[last.lineno - 1] = f"{line[:col]}return {line[col:]}"
    if not tree.body:
        lines.append("pass")
    return "\n".join(f"    {line}" if line.strip() else "" for line in lines)


def _is_on_failure(handler: Any) -> bool:
    return getattr(handler, "__qualname__", "").startswith("_on_failure_handler.")


def _bounds(trigger: Any) -> str:
    values = inspect.getclosurevars(trigger).nonlocals
    return ", ".join(f"{k}={values[k]!r}" for k in ("at_least", "at_most")
                     if values.get(k) is not None)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
