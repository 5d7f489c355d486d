"""The IPython magics ``%%task`` and ``%flow``: a thin layer over the public API.

Options are declared with IPython's ``magic_arguments`` (so ``%%task?`` and ``%flow?`` show
generated help). A user's mistake (``flowbook.errors.UserError``) becomes a ``UsageError``,
which IPython shows as a message without a traceback; any other exception is a bug in
flowbook and keeps its traceback.
"""

from __future__ import annotations

import ast
from contextlib import contextmanager
from typing import Any, Iterator

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.utils.process import arg_split

from flowbook.engine import continuation, flow_run
from flowbook.errors import UserError
from flowbook.notebook import authoring, registry, report

__all__ = ["FlowbookMagics", "load_ipython_extension"]

COMMANDS = ("run", "show", "resume", "retry", "step", "simulate", "reference", "remove", "list",
            "reset", "debug", "load", "export", "stop")
EXECUTORS = "local (the default), threads, dask or dask=ADDRESS"


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext flowbook``: register ``%%task`` and ``%flow``."""
    ipython.register_magics(FlowbookMagics)
    registry.watch_cells(ipython)


@contextmanager
def _usage_errors() -> Iterator[None]:
    """Report the user's mistakes (``UserError``, ``CellError`` among them) as UsageErrors:
    a message, no traceback. Nothing else is caught: a bug shows its traceback."""
    try:
        yield
    except UserError as exc:
        raise UsageError(str(exc)) from None


def _parse(magic: Any, line: str, name: str) -> Any:
    """The magic's arguments; a mistake shows the usage line with every option."""
    try:
        # Options before or after the names alike: `%flow debug --flow etl load` too.
        return magic.parser.parse_intermixed_args(arg_split(line, strict=True))
    except UsageError as exc:
        usage = magic.parser.format_usage().replace("::", "").strip()
        hint = _hint(name, line, str(exc))
        raise UsageError(f"{hint or exc}\nusage: {usage}\n(`{name}?` shows the help)") from None


def _hint(name: str, line: str, error: str) -> str | None:
    """A plainer message for the mistakes argparse words confusingly."""
    if name == "%flow" and not line.strip():
        return f"%flow needs a command: {', '.join(COMMANDS)}"
    if name == "%%task" and "required: name" in error and "--upstream" in line:
        return ("%%task needs the task's NAME first: --upstream takes every name after it, "
                "so write `%%task NAME --upstream A B`")
    return None


@magics_class
class FlowbookMagics(Magics):
    """``%%task`` defines a task from a cell; ``%flow`` runs and manages flows."""

    @magic_arguments(name="%task")  # the help's usage line then reads %%task
    @argument("name", help="the task's name; the notebook binds it to the Task")
    @argument("--flow", help="the flow to add the task to: a Flow variable or a notebook flow "
                             "name (default: the notebook's flow, flowbook.notebook_flow())")
    @argument("--trigger", help="when the task runs: a name from flowbook.triggers "
                                "(always_run, ...), a call such as "
                                "\"some_successful(at_least=2)\", or a notebook function")
    @argument("--max-retries", type=int, metavar="N", help="retry a failure up to N times")
    @argument("--retry-delay", type=float, metavar="SECONDS", help="wait before each retry")
    @argument("--timeout", type=float, metavar="SECONDS", help="fail the task (TimedOut) after "
                                                               "this long")
    @argument("--upstream", nargs="+", default=[], metavar="NAME",
              help="tasks to run first without using their results (state-only edges)")
    @argument("--no-skip-on-upstream-skip", action="store_true",
              help="run even when an upstream task was skipped")
    @argument("--reference", action="store_true",
              help="make it a reference task: the flow's state follows it")
    @cell_magic
    def task(self, line: str, cell: str) -> None:
        """Make the cell's code a task of a flow.

        The names the code reads that are names of other tasks become its inputs: it sees
        their results under those names. The last expression (or a ``return``) is the
        result. Running the cell again redefines the task in place.
        """
        args = _parse(self.task, line, "%%task")
        namespace = self.shell.user_ns
        with _usage_errors():
            flow = registry.find_flow(_unquote(args.flow), namespace, create=True)
            new = authoring.define_task(
                flow, args.name, self.shell.transform_cell(cell), namespace,
                trigger=_unquote(args.trigger), max_retries=args.max_retries,
                retry_delay=args.retry_delay, timeout=args.timeout, upstream=args.upstream,
                skip_on_upstream_skip=not args.no_skip_on_upstream_skip,
                reference=args.reference)
        print(report.task_summary(flow, new, namespace))

    @magic_arguments()
    @argument("command", choices=COMMANDS, help="run [FLOW] | show [FLOW] | resume [TASK ...] "
                                                "| retry [TASK ...] | step [TASK] | simulate "
                                                "[TASK=STATE ...] | reference [TASK ...] | "
                                                "remove TASK | list [FLOW] | reset [FLOW] | "
                                                "debug TASK | load TASK | export PATH.py "
                                                "[FLOW] (a script running the flow; replaces "
                                                "PATH.py) | stop [FLOW] (its runs on its "
                                                "schedule)")
    @argument("names", nargs="*", help="the FLOW (run, show, list, reset, stop), the TASKs, "
                                       "simulate's TASK=STATE outcomes, or export's PATH.py "
                                       "[FLOW]")
    @argument("--flow", help="the flow of the TASKs (default: the notebook's flow)")
    @argument("--executor", default="local", help=f"run: where tasks run: {EXECUTORS}")
    @argument("--param", action="append", default=[], metavar="NAME=VALUE",
              help="run: a parameter value (a Python literal, else a string); repeatable")
    @argument("--all", dest="run_all", action="store_true",
              help="run: run every task, reusing nothing (by default a task whose code and "
                   "inputs are unchanged since it last succeeded ends Cached with that result)")
    @argument("--break", dest="breakpoints", action="append", default=[], metavar="TASK",
              help="run: stop before TASK (Paused); `%%flow step` runs the next task, `%%flow "
                   "resume` continues; repeatable; `--break all` stops before every task")
    @line_magic
    def flow(self, line: str) -> Any:
        """Run, inspect and change flows; ``state = %flow run`` keeps the flow's state."""
        args = _parse(self.flow, line, "%flow")
        with _usage_errors():
            return getattr(self, f"_{args.command}")(args)

    # -- the commands ---------------------------------------------------------------------

    def _run(self, args: Any) -> Any:
        flow = self._flow_argument(args)
        authoring.connect_pending(flow)
        parameters = _parameters(args.param)
        flow_run.check_parameters(flow, parameters)  # before the widget is shown
        executor = _executor(args.executor)
        stops = "all" if "all" in args.breakpoints else args.breakpoints or None
        if stops not in (None, "all"):
            continuation.resolve_tasks(flow, flow.plan(), stops)  # before the widget is shown
        reuse = not args.run_all and flow.schedule is None  # a scheduled run runs every task
        return self._watch(flow, lambda: flow.run(parameters=parameters, executor=executor,
                                                  breakpoints=stops, reuse=reuse), new_run=True)

    def _step(self, args: Any) -> Any:
        flow = registry.find_flow(args.flow, self.shell.user_ns)
        if len(args.names) > 1:
            raise UsageError(f"%flow step takes at most one TASK, got {' '.join(args.names)}")
        task = args.names[0] if args.names else None
        runs = flow.last_run is None or flow.last_run.state.is_finished()
        return self._watch(flow, lambda: flow.step(task), new_run=runs)

    def _simulate(self, args: Any) -> Any:
        from flowbook.engine.simulate import simulate

        flow = registry.find_flow(args.flow, self.shell.user_ns)
        authoring.connect_pending(flow)
        outcomes = _outcomes(args.names)
        state = simulate(flow, outcomes)
        print(report.simulation_summary(flow, state, outcomes))
        return state

    def _resume(self, args: Any) -> Any:
        flow = registry.find_flow(args.flow, self.shell.user_ns)
        return self._watch(flow, lambda: flow.resume(*args.names))

    def _retry(self, args: Any) -> Any:
        flow = registry.find_flow(args.flow, self.shell.user_ns)
        return self._watch(flow, lambda: flow.retry(*args.names))

    def _show(self, args: Any) -> Any:
        flow = self._flow_argument(args)
        view = _view(flow, self.shell)
        if view is None:
            print(report.run_summary(flow) if flow.last_run else report.task_table(flow))
        return view

    def _list(self, args: Any) -> None:
        print(report.task_table(self._flow_argument(args)))

    def _reference(self, args: Any) -> None:
        flow = registry.find_flow(args.flow, self.shell.user_ns)
        if args.names:
            flow.set_reference_tasks([authoring.find_task(flow, n) for n in args.names])
        names = ", ".join(sorted(t.name for t in flow.reference_tasks()))
        chosen = "" if flow.chosen_reference_tasks() else " (the terminal tasks, by default)"
        print(f"reference tasks of flow {flow.name!r}: {names or 'none'}{chosen}")

    def _remove(self, args: Any) -> None:
        if len(args.names) != 1:
            raise UsageError("%flow remove takes one TASK name, e.g. `%flow remove tear_down`")
        flow = registry.find_flow(args.flow, self.shell.user_ns)
        authoring.remove_task(flow, args.names[0], self.shell.user_ns)
        print(f"removed task {args.names[0]!r} from flow {flow.name!r}")

    def _stop(self, args: Any) -> None:
        flow = self._flow_argument(args)
        if flow.stop():
            print(f"flow {flow.name!r} no longer runs on its schedule")
        else:
            print(f"flow {flow.name!r} was not running on a schedule; nothing to stop")

    def _reset(self, args: Any) -> None:
        flow = self._flow_argument(args)
        authoring.reset_flow(flow, self.shell.user_ns)
        print(f"flow {flow.name!r} is empty again")

    def _debug(self, args: Any) -> None:
        flow = registry.find_flow(args.flow, self.shell.user_ns)
        flow.debug(_one_task(args))

    def _load(self, args: Any) -> None:
        from flowbook.engine import postmortem

        namespace = self.shell.user_ns
        flow = registry.find_flow(args.flow, namespace)
        name = _one_task(args)
        if flow.last_run is None:
            raise UsageError(f"flow {flow.name!r} has not run yet, so there is nothing to "
                             "load; run it first with %flow run")
        variable = postmortem.flow_variable(flow, namespace, preferred=args.flow)
        text = postmortem.load_cell(flow.last_run, name, flow_variable=variable)
        self.shell.set_next_input(text, replace=False)

    def _export(self, args: Any) -> None:
        from pathlib import Path

        from flowbook.notebook import export

        path = Path(_unquote(args.names[0] if args.names else "")).expanduser()
        if not 1 <= len(args.names) <= 2 or path.suffix != ".py":
            raise UsageError("%flow export takes PATH.py and an optional FLOW, e.g. "
                             "`%flow export etl.py etl`")
        name = args.names[1] if len(args.names) > 1 else args.flow
        flow = registry.find_flow(name, self.shell.user_ns)
        authoring.connect_pending(flow)
        text = export.script(flow, self.shell.user_ns, self.shell.history_manager.
                             input_hist_parsed, filename=path.name)
        replaced = path.exists()
        path.write_text(text, encoding="utf-8")
        print(f"{'replaced' if replaced else 'wrote'} {path}: flow {flow.name!r}, "
              f"{len(flow.tasks)} tasks; run it with `python {path}`")

    # -- helpers --------------------------------------------------------------------------

    def _flow_argument(self, args: Any) -> Any:
        """The FLOW of run/show/list/reset: a positional name, else --flow, else the default."""
        if len(args.names) > 1:
            raise UsageError(f"%flow {args.command} takes at most one FLOW, got "
                             f"{' '.join(args.names)}")
        name = args.names[0] if args.names else args.flow
        return registry.find_flow(name, self.shell.user_ns)

    def _watch(self, flow: Any, action: Any, new_run: bool = False) -> Any:
        """Show the live view of ``flow``'s latest run (or, with ``new_run``, of the run
        ``action`` begins), then do ``action``. The display is updated once more at the end,
        so static outputs (nbconvert, a terminal) show the final states."""
        view = _view(flow, self.shell, new_run)
        if view is None:
            state = action()
            print(report.run_summary(flow))
            return state
        from IPython.display import display

        display(view)
        try:
            state = action()
        finally:
            view.stop_waiting()  # the run was refused before it began: show the latest
            view.update_picture()
        reused = report.reuse_summary(flow) if new_run else None
        if reused:
            print(reused)
        return state


def _view(flow: Any, shell: Any, new_run: bool = False) -> Any:
    """The live widget of ``flow``'s latest run (``new_run``: of the next run to begin) in a
    notebook; None in a terminal (no kernel, so no widgets), where the magics print text."""
    if getattr(shell, "kernel", None) is None:
        return None
    from flowbook.widget.flow_widget import NEXT, FlowWidget

    if new_run and flow.schedule is not None:
        return FlowWidget(flow, follow=True)  # each run on its schedule, as it begins
    return FlowWidget(flow, run=NEXT) if new_run else FlowWidget(flow)


def _one_task(args: Any) -> str:
    """The one TASK of debug and load (``name[3]`` for a mapped child)."""
    if len(args.names) != 1:
        raise UsageError(f"%flow {args.command} takes one TASK name, e.g. "
                         f"`%flow {args.command} clean` or `%flow {args.command} clean[3]`")
    return args.names[0]


def _outcomes(pairs: list) -> dict:
    """simulate's TASK=STATE pairs as {task name: state name}."""
    outcomes = {}
    for pair in pairs:
        name, sep, outcome = _unquote(pair).partition("=")
        if not sep or not name or not outcome:
            raise UsageError(f"%flow simulate takes TASK=STATE pairs, not {pair!r}; e.g. "
                             "`%flow simulate run_job=Failed`")
        outcomes[name] = outcome
    return outcomes


def _unquote(text: str | None) -> str | None:
    """IPython's argument splitter keeps quotes: "some_successful(at_least=2)" -> unquoted."""
    if text and len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _parameters(pairs: list) -> dict:
    params = {}
    for pair in pairs:
        name, sep, text = _unquote(pair).partition("=")
        if not sep or not name.isidentifier():
            raise UsageError(f"--param {pair!r} is not NAME=VALUE, e.g. --param n=3")
        try:
            params[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            params[name] = text  # not a Python literal: the text itself
        except (TypeError, RecursionError) as exc:  # {[1]: 2}: a literal Python cannot build
            raise UsageError(f"--param {pair!r}: {text} is not a value Python can build "
                             f"({exc}); quote it to pass the text, e.g. --param "
                             f"'{name}=\"{text}\"'") from None
    return params


def _executor(spec: str) -> Any:
    from flowbook import executors

    kind, _, address = spec.partition("=")
    if kind == "local" and not address:
        return executors.LocalExecutor()
    if kind == "threads" and not address:
        return executors.LocalDaskExecutor(scheduler="threads")
    if kind == "dask":
        return executors.DaskExecutor(address=address or None)
    raise UsageError(f"unknown --executor {spec!r}; use {EXECUTORS}")
