"""The notebook's code, statement by statement: which top-level statement of IPython's
history (``In``) binds a name, what it reads, and the statements some names need.

A name read inside a function is looked up as the history ends (the latest definition, the
one the notebook's run saw), a name read at once as it was just before the statement that
reads it. Statements rather than cells: a cell that defines a helper and then runs a flow
gives only the helper. A statement that changes a needed object in place without binding a
name (``rows.append(4)``) is not followed.

>>> history = History(["", "x = 1\\nunused = 2", "def f():\\n    return x  # one", "x = 3"])
>>> print(render(history.needed({"f": "task 'go'"}, provided=lambda name, who: False)))
# In[2]
def f():
    return x  # one
<BLANKLINE>
# In[3]
x = 3
"""

from __future__ import annotations

import ast
import builtins
import symtable
import textwrap
from dataclasses import dataclass
from typing import Any, Callable

from flowbook.errors import UserValueError

__all__ = ["Statement", "History", "scan", "is_free", "render", "IPYTHON_NAMES"]

IPYTHON_NAMES = frozenset({"display", "get_ipython", "In", "Out", "exit", "quit",
                           "__IPYTHON__"})  # IPython's additions to the builtins
_BLOCKS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_WHOLE = (ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While)


@dataclass(frozen=True)
class Statement:
    """One top-level statement of the notebook's history."""

    position: int  # its place among every statement of the history; later is larger
    cell: int  # the number of its cell in the history (In[cell])
    node: ast.stmt
    text: str  # its code as written (comments kept); unparsed when it shares a line
    binds: frozenset  # names it binds at the top level
    reads_now: frozenset  # names read as it runs
    reads_later: frozenset  # names read when the functions or classes it defines are used
    magic: bool  # it calls get_ipython(): a magic or a shell command


def scan(source: str) -> tuple:
    """(names bound at the top level, names read there, names read in nested scopes)."""
    table = symtable.symtable(source, "<notebook>", "exec")
    symbols = table.get_symbols()
    binds = {s.get_name() for s in symbols if s.is_assigned() or s.is_imported()}
    now = {s.get_name() for s in symbols if s.is_referenced()}
    later: set = set()
    nested = list(table.get_children())
    while nested:
        child = nested.pop()
        later.update(s.get_name() for s in child.get_symbols()
                     if s.is_referenced() and s.is_global())
        nested.extend(child.get_children())
    return frozenset(binds), frozenset(now), frozenset(later)


def is_free(name: str) -> bool:
    """Whether a name read must come from the notebook: not Python's builtin, or IPython's."""
    return name in IPYTHON_NAMES or not hasattr(builtins, name)


class History:
    """The statements of the cells run, oldest first, and which binds a name when."""

    def __init__(self, cells: Any):
        self.statements: list = []
        self._binding: dict = {}  # name -> [statements binding it], oldest first
        for number, code in enumerate(cells):
            try:
                tree = ast.parse(code or "")
            except SyntaxError:
                continue  # a cell that did not run binds nothing
            lines = (code or "").splitlines()
            for node in tree.body:
                self._add(number, node, lines)

    def _add(self, cell: int, node: ast.stmt, lines: list) -> None:
        try:
            binds, now, later = scan(ast.unparse(node))
        except SyntaxError:  # top-level await and the like: nothing a script can reuse
            return
        stmt = Statement(len(self.statements), cell, node, _segment(node, lines), binds,
                         now, later, "get_ipython" in now | later)
        self.statements.append(stmt)
        for name in binds:
            self._binding.setdefault(name, []).append(stmt)

    def binding(self, name: str, before: int | None = None) -> Statement | None:
        """The latest statement binding ``name`` (before position ``before``)."""
        for stmt in reversed(self._binding.get(name, ())):
            if before is None or stmt.position < before:
                return stmt
        return None

    def needed(self, needs: dict, provided: Callable[[str, str], bool]) -> list:
        """``[(statement, the names wanted from it)]`` in the order they ran: the statements
        binding the names of ``needs`` (name -> who reads it, for messages), then those
        their statements read, and so on; ``provided(name, who)`` is True for a name the
        caller binds itself. Raises UserValueError for a name no plain statement binds."""
        chosen: dict = {}  # position -> (statement, names wanted)
        work = [(name, None, who) for name, who in needs.items()]
        while work:
            name, before, who = work.pop()
            if provided(name, who):
                continue
            stmt = self._usable(name, before, who)
            if stmt.position in chosen:
                chosen[stmt.position][1].add(name)
                continue
            chosen[stmt.position] = (stmt, {name})
            reader = f"In[{stmt.cell}] (which defines {name!r})"
            for read in stmt.reads_now - {"get_ipython"}:
                if is_free(read) and not (read in stmt.binds and
                                          self.binding(read, stmt.position) is None):
                    work.append((read, stmt.position, reader))
            work.extend((read, None, reader) for read in stmt.reads_later if is_free(read))
        return [chosen[p] for p in sorted(chosen)]

    def _usable(self, name: str, before: int | None, who: str) -> Statement:
        stmt = self.binding(name, before)
        if stmt is None:
            hint = "; IPython provides it, a script has no IPython" if name in IPYTHON_NAMES \
                else ""
            raise UserValueError(f"{who} reads {name!r}, which no cell of the notebook "
                                 f"defines{hint}; define it in a cell, or make it a task's "
                                 "input")
        if stmt.magic:
            raise UserValueError(f"{who} reads {name!r}, which only a magic sets "
                                 f"(In[{stmt.cell}]: {stmt.text.strip()}); a script runs no "
                                 "magics: set it with plain Python in a cell")
        if isinstance(stmt.node, _WHOLE):
            kind = type(stmt.node).__name__.lower().replace("async", "async ")
            raise UserValueError(f"{who} reads {name!r}, which In[{stmt.cell}] sets inside a "
                                 f"`{kind}` block the script would have to run whole; set it "
                                 "at the top level of a cell")
        return stmt


def render(needed: list) -> str:
    """The statements of ``History.needed``, each cell's under an ``# In[n]`` line, an
    import cut down to the names wanted from it."""
    out: list = []
    cell = None
    for stmt, wanted in needed:
        if stmt.cell != cell:
            out += ["", f"# In[{stmt.cell}]"] if out and out[-1] else [f"# In[{stmt.cell}]"]
            cell = stmt.cell
        if isinstance(stmt.node, _BLOCKS) and out[-1].strip() and out[-1][0] != "#":
            out.append("")
        out.append(_cut_import(stmt, wanted))
        if isinstance(stmt.node, _BLOCKS):
            out.append("")
    return "\n".join(out).rstrip()


def _cut_import(stmt: Statement, wanted: set) -> str:
    """An import statement kept to the names wanted from it."""
    node = stmt.node
    if not isinstance(node, (ast.Import, ast.ImportFrom)):
        return stmt.text
    kept = [a for a in node.names if (a.asname or a.name.split(".")[0]) in wanted]
    if len(kept) == len(node.names):
        return stmt.text
    return ast.unparse(type(node)(**{**node.__dict__, "names": kept}))


def _segment(node: ast.stmt, lines: list) -> str:
    """The statement's own lines (decorators and comments kept), else its unparsed code."""
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
    start, end = lines[first - 1], lines[node.end_lineno - 1]
    col = len(start.encode()[:node.col_offset].decode(errors="ignore")) if first == node.lineno \
        else len(start) - len(start.lstrip())
    rest = end.encode()[node.end_col_offset:].decode(errors="ignore").strip()
    if start[:col].strip() or (rest and not rest.startswith("#")):
        return ast.unparse(node)  # `a = 1; b = 2`: this statement alone
    return textwrap.dedent("\n".join(lines[first - 1:node.end_lineno]))
