"""The magics in a real IPython shell: every command and option, and every mistake as a
UsageError that leaves the flow as it was."""

import random

import pytest

pytest.importorskip("IPython")
from IPython.core.error import UsageError  # noqa: E402

import flowbook  # noqa: E402




def run(ip, cell):
    """Run a cell that must succeed; returns the value of its last line."""
    res = ip.run_cell(cell, store_history=False)
    if res.error_before_exec or res.error_in_exec:
        raise res.error_before_exec or res.error_in_exec
    return res.result


def usage_error(ip, cell):
    """Run a cell that must fail with a UsageError; returns its message."""
    res = ip.run_cell(cell, store_history=False)
    assert isinstance(res.error_in_exec, UsageError), res.error_in_exec
    return str(res.error_in_exec)


def nb():
    return flowbook.notebook_flow()


def edges(flow):
    return {(e.upstream_task.name, e.downstream_task.name, e.key) for e in flow.edges}


def spark(ip):
    run(ip, "%%task cluster\n'spark://cluster'")
    run(ip, "%%task submitted\nraise RuntimeError(f'job on {cluster} failed')")
    run(ip, "%%task tear_down --trigger always_run --upstream submitted\n"
            "f'{cluster} torn down'")


# -- %load_ext and %%task -----------------------------------------------------------------


def test_load_ext_registers_the_task_and_flow_magics(ip):
    magics = ip.magics_manager.magics
    assert "task" in magics["cell"] and "flow" in magics["line"]


def test_task_cell_adds_the_task_to_the_notebook_flow_and_binds_its_name(ip):
    run(ip, "%%task cluster\n'spark://cluster'")
    assert list(nb().tasks) == [ip.user_ns["cluster"]]


def test_task_cell_prints_a_one_line_summary(ip, capsys):
    run(ip, "%%task cluster\n1")
    run(ip, "%%task job --trigger always_run --max-retries 2 --retry-delay 5 --reference\n"
            "cluster")
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == ("job in flow 'notebook' | inputs: cluster | trigger: always_run | "
                         "retries: 2 every 5 s | reference task")


def test_help_is_generated_from_the_options(ip):
    doc = ip.find_cell_magic("task").__doc__
    for option in ("--flow", "--trigger", "--max-retries", "--retry-delay", "--timeout",
                   "--upstream", "--no-skip-on-upstream-skip", "--reference"):
        assert option in doc
    assert "%%task" in doc and "run [FLOW]" in ip.find_line_magic("flow").__doc__


def test_the_body_sees_upstream_results_under_their_names(ip):
    spark(ip)
    state = run(ip, "%flow run")
    assert state.result[ip.user_ns["tear_down"]].result == "spark://cluster torn down"
    assert "spark://cluster" in str(state.result[ip.user_ns["submitted"]].result)


def test_notebook_names_resolve_in_the_namespace(ip):
    run(ip, "import math\ndef double(x):\n    return 2 * x")
    run(ip, "%%task t\ndouble(math.floor(2.5))")
    assert run(ip, "%flow run").result[ip.user_ns["t"]].result == 4


def test_a_return_in_the_body_is_the_result(ip):
    run(ip, "%%task t\nfor i in range(10):\n    if i == 3:\n        return i")
    assert run(ip, "%flow run").result[ip.user_ns["t"]].result == 3


def test_signals_work_in_the_body(ip):
    run(ip, "from flowbook.engine import signals")
    run(ip, "%%task check\nraise signals.SKIP('nothing new')")
    run(ip, "%%task load\ncheck")
    run(ip, "%%task always --no-skip-on-upstream-skip\ncheck")
    state = run(ip, "%flow run")
    kinds = {t.name: type(s).__name__ for t, s in state.result.items()}
    assert kinds == {"check": "Skipped", "load": "Skipped", "always": "Success"}


def test_ipython_syntax_in_the_body_is_transformed(ip):
    run(ip, "%%task t\nx = %time 1 + 1\nx")
    assert run(ip, "%flow run").result[ip.user_ns["t"]].result == 2


def test_flow_option_adds_to_a_named_notebook_flow(ip):
    run(ip, "%%task t --flow etl\n1")
    assert list(flowbook.notebook_flow("etl").tasks) == [ip.user_ns["t"]]
    assert not nb().tasks


def test_flow_option_accepts_a_flow_variable(ip):
    run(ip, "from flowbook import Flow\nmine = Flow('mine')")
    run(ip, "%%task t --flow mine\n1")
    assert list(ip.user_ns["mine"].tasks) == [ip.user_ns["t"]]


def test_trigger_option_takes_a_call(ip):
    run(ip, "%%task t --trigger \"some_successful(at_least=2)\"\n1")
    assert "at least 2" in ip.user_ns["t"].trigger.rule


def test_trigger_option_takes_a_notebook_function(ip):
    run(ip, "def never(upstream_states):\n    return False")
    run(ip, "%%task up\n1")
    run(ip, "%%task t --trigger never\nup")
    assert run(ip, "%flow run").result[ip.user_ns["t"]].is_failed()


def test_retry_options_retry_the_task(ip):
    run(ip, "attempts = []")
    run(ip, "%%task flaky --max-retries 2 --retry-delay 0\nattempts.append(1)\n"
            "if len(attempts) < 3:\n    raise RuntimeError('not yet')\nlen(attempts)")
    assert run(ip, "%flow run").result[ip.user_ns["flaky"]].result == 3


def test_timeout_option_times_the_task_out(ip):
    run(ip, "import threading\nrelease = threading.Event()")  # set once the run is over
    run(ip, "%%task slow --timeout 0.05\nrelease.wait(30)")
    try:
        assert run(ip, "%flow run").result[ip.user_ns["slow"]].is_failed()
    finally:
        ip.user_ns["release"].set()
    assert type(nb().last_state.result[ip.user_ns["slow"]]).__name__ == "TimedOut"


def test_upstream_option_makes_a_state_only_edge(ip):
    run(ip, "%%task a\n1")
    run(ip, "%%task b --upstream a\n2")
    assert edges(nb()) == {("a", "b", None)}


def test_reference_option_makes_the_flow_follow_the_task(ip):
    spark(ip)
    assert run(ip, "%flow run").is_successful()  # the tear-down succeeded
    run(ip, "%%task submitted --reference\nraise RuntimeError(f'job on {cluster} failed')")
    assert run(ip, "%flow run").is_failed()


def test_rerunning_a_cell_replaces_its_task_in_place(ip):
    run(ip, "%%task a\n1")
    run(ip, "%%task b\n2")
    run(ip, "%%task c\na")
    first = ip.user_ns["c"]
    run(ip, "%%task c\nb")
    assert ip.user_ns["c"] is first and len(nb().tasks) == 3
    assert edges(nb()) == {("b", "c", "b")}


def test_ten_reruns_of_cells_in_any_order_keep_node_and_edge_counts(ip):
    cells = {
        "cluster": "%%task cluster\n'spark'",
        "submitted": "%%task submitted --max-retries 1 --retry-delay 0\ncluster + ':job'",
        "tear_down": "%%task tear_down --trigger always_run --upstream submitted\ncluster",
        "report": "%%task report\n(submitted, tear_down)",
    }
    for name in random.Random(3).sample(list(cells), len(cells)):
        run(ip, cells[name])
    expected = edges(nb())
    assert len(expected) == 5
    rng = random.Random(5)
    for _ in range(10):
        run(ip, cells[rng.choice(list(cells))])
        assert len(nb().tasks) == 4 and edges(nb()) == expected
    assert run(ip, "%flow run").result[ip.user_ns["report"]].result == ("spark:job", "spark")


# -- %%task mistakes ----------------------------------------------------------------------


def test_a_syntax_error_is_a_usage_error_with_its_line(ip):
    run(ip, "%%task a\n1")
    msg = usage_error(ip, "%%task a\nx = (1,\ny = 2")
    assert "syntax error in %%task a, line" in msg
    assert ip.user_ns["a"].source.strip() == "1"


def test_an_unknown_option_lists_the_valid_ones(ip):
    msg = usage_error(ip, "%%task a --retries 3\n1")
    assert "unrecognized arguments: --retries" in msg and "--max-retries N" in msg
    assert not nb().tasks


def test_an_unknown_trigger_lists_the_valid_ones(ip):
    msg = usage_error(ip, "%%task a --trigger alway_run\n1")
    assert "unknown trigger 'alway_run'" in msg and "always_run" in msg
    assert not nb().tasks


def test_a_redefinition_making_a_cycle_names_it_and_changes_nothing(ip):
    run(ip, "%%task a\n1")
    run(ip, "%%task b\na + 1")
    msg = usage_error(ip, "%%task a\nb + 1")
    assert "cycle" in msg and "a -> b" in msg or "b -> a" in msg
    assert edges(nb()) == {("a", "b", "a")} and ip.user_ns["a"].source.strip() == "1"


def test_a_name_that_is_not_an_identifier_is_a_usage_error(ip):
    assert "not a valid task name" in usage_error(ip, "%%task 2fast\n1")


def test_a_missing_name_is_a_usage_error(ip):
    assert "name" in usage_error(ip, "%%task\n1")


# -- %flow --------------------------------------------------------------------------------


def test_flow_run_returns_the_flow_state_and_prints_a_summary(ip, capsys):
    spark(ip)
    run(ip, "state = %flow run")
    assert ip.user_ns["state"] is nb().last_state and ip.user_ns["state"].is_successful()
    out = capsys.readouterr().out
    assert "submitted  Failed" in out and "tear_down  Success" in out


def test_flow_run_takes_parameters(ip):
    run(ip, "from flowbook import Parameter\n"
            "flowbook_nb = __import__('flowbook').notebook_flow()\n"
            "flowbook_nb.add_task(Parameter('n', default=1))")
    run(ip, "%%task double\nn * 2")
    state = run(ip, "%flow run --param n=21")
    assert state.result[ip.user_ns["double"]].result == 42
    state = run(ip, "%flow run --param n=abc")
    assert state.result[ip.user_ns["double"]].result == "abcabc"
    state = run(ip, "%flow run --param \"n=a b\"")
    assert state.result[ip.user_ns["double"]].result == "a ba b"


def test_flow_run_of_a_named_flow(ip):
    run(ip, "%%task t --flow etl\n'etl ran'")
    state = run(ip, "%flow run etl")
    assert state.result[ip.user_ns["t"]].result == "etl ran"


def test_flow_run_with_the_local_executor(ip):
    run(ip, "%%task t\n1")
    assert run(ip, "%flow run --executor local").is_successful()


def test_flow_run_mistakes_are_usage_errors(ip):
    run(ip, "%%task t\n1")
    assert "unknown --executor 'gpu'" in usage_error(ip, "%flow run --executor gpu")
    assert "is not NAME=VALUE" in usage_error(ip, "%flow run --param oops")
    assert "no flow named 'nope'" in usage_error(ip, "%flow run nope")
    assert "at most one FLOW" in usage_error(ip, "%flow run a b")
    assert "invalid choice: 'go'" in usage_error(ip, "%flow go")


def test_flow_resume_approves_a_paused_task(ip):
    run(ip, "%%task data\n5")
    run(ip, "%%task publish --trigger manual_only\ndata * 2")
    state = run(ip, "%flow run")
    assert state.is_running() and nb().last_run.states[ip.user_ns["publish"]].is_paused()
    state = run(ip, "%flow resume publish")
    assert state.is_successful() and state.result[ip.user_ns["publish"]].result == 10


def test_flow_retry_reruns_a_fixed_failure_and_keeps_upstream_results(ip):
    run(ip, "calls = []\nbroken = True")
    run(ip, "%%task fetch\ncalls.append('fetch')\n3")
    run(ip, "%%task compute\nif broken:\n    raise RuntimeError('bug')\nfetch * 2")
    assert run(ip, "%flow run").is_failed()
    run(ip, "broken = False")
    state = run(ip, "%flow retry compute")
    assert state.is_successful() and state.result[ip.user_ns["compute"]].result == 6
    assert ip.user_ns["calls"] == ["fetch"]


def test_flow_retry_uses_a_redefined_cell(ip):
    run(ip, "%%task compute\nraise RuntimeError('bug')")
    run(ip, "%flow run")
    run(ip, "%%task compute\n'fixed'")
    assert run(ip, "%flow retry").result[ip.user_ns["compute"]].result == "fixed"


def test_resume_and_retry_mistakes_are_usage_errors(ip):
    run(ip, "%%task t\n1")
    assert "has not run yet" in usage_error(ip, "%flow resume")
    run(ip, "%flow run")
    assert "no paused task" in usage_error(ip, "%flow resume")
    assert "no task named 'zz'" in usage_error(ip, "%flow retry zz")


def test_flow_reference_sets_and_shows_reference_tasks(ip, capsys):
    spark(ip)
    run(ip, "%flow reference submitted")
    assert nb().reference_tasks() == {ip.user_ns["submitted"]}
    assert run(ip, "%flow run").is_failed()
    capsys.readouterr()
    run(ip, "%flow reference")
    assert "reference tasks of flow 'notebook': submitted" in capsys.readouterr().out
    assert "no task named 'x'" in usage_error(ip, "%flow reference x")


def test_flow_remove_removes_the_task_and_its_name(ip):
    spark(ip)
    run(ip, "%flow remove tear_down")
    assert [t.name for t in nb().tasks] == ["cluster", "submitted"]
    assert "tear_down" not in ip.user_ns
    assert "takes one TASK" in usage_error(ip, "%flow remove")
    assert "no task named 'gone'" in usage_error(ip, "%flow remove gone")


def test_flow_list_shows_tasks_inputs_triggers_and_states(ip, capsys):
    spark(ip)
    run(ip, "%flow run")
    capsys.readouterr()
    run(ip, "%flow list")
    out = capsys.readouterr().out
    assert "tear_down  %%task  cluster  always_run      Success" in out
    assert "submitted  %%task  cluster  all_successful  Failed" in out


def test_flow_show_describes_the_flow(ip, capsys):
    spark(ip)
    run(ip, "%flow show")
    assert "cluster" in capsys.readouterr().out or flowbook.__dict__.get("show")


def test_flow_reset_empties_the_flow(ip):
    spark(ip)
    run(ip, "%flow run")
    run(ip, "%flow reset")
    assert not nb().tasks and nb().last_run is None and "cluster" not in ip.user_ns


# -- @task functions across cells ---------------------------------------------------------


def test_task_functions_across_cells_use_their_latest_definition(ip):
    run(ip, "from flowbook import task, Flow")
    run(ip, "@task\ndef extract():\n    return [1, 2, 3]")
    run(ip, "@task\ndef total(rows):\n    return sum(rows)")
    flow_cell = "with Flow('etl') as etl:\n    result = total(extract())\nstate = etl.run()"
    run(ip, flow_cell)
    assert ip.user_ns["state"].result[ip.user_ns["result"]].result == 6
    run(ip, "@task\ndef total(rows):\n    return max(rows)")
    run(ip, flow_cell)
    assert ip.user_ns["state"].result[ip.user_ns["result"]].result == 3


def test_a_task_cell_can_read_a_task_added_with_task_functions(ip):
    run(ip, "from flowbook import task, Flow")
    run(ip, "@task\ndef extract():\n    return [1, 2, 3]")
    run(ip, "with Flow('etl') as etl:\n    rows = extract()")
    run(ip, "%%task report --flow etl\nf'{len(extract)} rows'")
    state = run(ip, "%flow run etl")
    assert state.result[ip.user_ns["report"]].result == "3 rows"


def test_flow_run_on_threads(ip):
    run(ip, "import threading\nseen = set()")
    for i in range(3):
        run(ip, f"%%task t{i}\nseen.add(threading.current_thread().name)\n{i}")
    state = run(ip, "%flow run --executor threads")
    assert state.is_successful()
    assert threading_names_are_not_the_kernels(ip.user_ns["seen"])


def threading_names_are_not_the_kernels(names):
    import threading

    return names and threading.main_thread().name not in names


def test_flow_run_on_a_dask_scheduler_at_an_address(ip, dask_deployment):
    run(ip, "%%task numbers\n[1, 2, 3]")
    run(ip, "%%task total\nsum(numbers)")
    state = run(ip, f"%flow run --executor dask={dask_deployment.address}")
    assert state.result[ip.user_ns["total"]].result == 6


def run_in(ip, cell_id, cell):
    """Run ``cell`` as the notebook cell ``cell_id`` (as JupyterLab and nbclient do)."""
    res = ip.run_cell(cell, store_history=False, cell_id=cell_id)
    if res.error_before_exec or res.error_in_exec:
        raise res.error_before_exec or res.error_in_exec
    return res.result


FLOW_CELL = ("with notebook_flow() as flow:\n"
             "    rows = transform(extract(Parameter('n', default=3)))")


def test_rerunning_a_flow_cell_replaces_its_tasks_and_relinks_task_cells(ip):
    run(ip, "from flowbook import task, notebook_flow, Parameter")
    run(ip, "@task\ndef extract(n):\n    return list(range(n))")
    run(ip, "@task\ndef transform(rows):\n    return [r * 10 for r in rows]")
    run_in(ip, "flow-cell", FLOW_CELL)
    run(ip, "%%task load\nsum(transform)")
    assert run(ip, "%flow run").result[ip.user_ns["load"]].result == 30
    run(ip, "@task\ndef transform(rows):\n    return [r * 100 for r in rows]")
    run_in(ip, "flow-cell", FLOW_CELL)  # again: the same tasks, the new definition
    assert sorted(t.name for t in nb().tasks) == ["extract", "load", "n", "transform"]
    assert run(ip, "%flow run").result[ip.user_ns["load"]].result == 300


def test_an_edited_flow_cell_replaces_what_it_built_before(ip):
    run(ip, "from flowbook import task, notebook_flow")
    run(ip, "@task\ndef one():\n    return 1")
    run(ip, "@task\ndef two():\n    return 2")
    run_in(ip, "c1", "with notebook_flow():\n    a = one()")
    run_in(ip, "c2", "with notebook_flow():\n    b = two()")
    run_in(ip, "c1", "with notebook_flow():\n    a = two()\n    a2 = two()")
    assert sorted(t.name for t in nb().tasks) == ["two", "two", "two"]


def test_two_flow_blocks_in_one_cell_both_stay(ip):
    run(ip, "from flowbook import task, notebook_flow")
    run(ip, "@task\ndef one():\n    return 1")
    cell = ("with notebook_flow():\n    a = one()\n"
            "with notebook_flow():\n    b = one()")
    run_in(ip, "c", cell)
    run_in(ip, "c", cell)
    assert len(nb().tasks) == 2


def test_a_task_cell_reads_a_variable_bound_to_a_task_of_its_flow(ip):
    run(ip, "from flowbook import task, Flow")
    run(ip, "@task\ndef load():\n    return [1, 2, 3]")
    run(ip, "with Flow('etl') as etl:\n    rows = load()")
    run(ip, "%%task total --flow etl\nsum(rows)")
    assert run(ip, "%flow run etl").result[ip.user_ns["total"]].result == 6


def test_the_summary_names_what_the_code_reads_that_nothing_defines(ip, capsys):
    run(ip, "%%task data\n[1, 2]")
    run(ip, "%%task total\nlen(dta)")
    assert capsys.readouterr().out.strip().splitlines()[-1].endswith(
        "not defined yet: dta (did you mean data?)")


def test_the_summary_warns_when_a_task_hides_a_builtin(ip, capsys):
    run(ip, "%%task sum\n3")
    assert "the name hides Python's sum()" in capsys.readouterr().out


def test_a_quoted_flow_name_is_unquoted(ip):
    run(ip, "%%task t --flow 'my flow'\n1")
    assert list(flowbook.notebook_flow("my flow").tasks) == [ip.user_ns["t"]]


def test_an_empty_flow_command_lists_the_commands(ip):
    assert "%flow needs a command: run, show" in usage_error(ip, "%flow")


def test_upstream_before_the_name_explains_the_order(ip):
    msg = usage_error(ip, "%%task --upstream a b\n1")
    assert "write `%%task NAME --upstream A B`" in msg
def test_flow_run_on_an_unreachable_dask_address_is_a_usage_error(ip):
    run(ip, "%%task t\n1")
    first = run(ip, "%flow run")
    msg = usage_error(ip, "%flow run --executor dask=tcp://127.0.0.1:9")
    assert "tcp://127.0.0.1:9" in msg
    assert nb().last_state is first  # the previous run is kept, still retryable




def test_an_unknown_parameter_is_refused_before_anything_is_shown(ip, capsys):
    run(ip, "%%task t\n1")
    capsys.readouterr()
    msg = usage_error(ip, "%flow run --param nope=1")
    assert "unknown parameters ['nope']; its parameters are: none" in msg
    assert nb().last_run is None and capsys.readouterr().out == ""


# -- a user's mistake is a message; a bug in flowbook keeps its traceback -----------------


def test_a_user_mistake_is_a_one_line_usage_error_without_a_traceback(ip, capsys):
    run(ip, "%%task t\n1")
    run(ip, "%flow run")
    capsys.readouterr()
    msg = usage_error(ip, "%flow retry zz")
    shown = capsys.readouterr()
    assert "\n" not in msg and "no task named 'zz'" in msg
    assert f"UsageError: {msg}" in shown.err and "Traceback" not in shown.out + shown.err


def test_a_param_python_cannot_build_is_a_usage_error_naming_it(ip):
    run(ip, "%%task t\n1")
    msg = usage_error(ip, "%flow run --param x={[1]:2}")
    assert "--param 'x={[1]:2}'" in msg and "unhashable type: 'list'" in msg


def test_a_bug_in_flowbook_during_flow_run_keeps_its_traceback(ip, monkeypatch, capsys):
    def broken_summary(flow):
        raise TypeError("unsupported operand")

    monkeypatch.setattr(flowbook.notebook.report, "run_summary", broken_summary)
    run(ip, "%%task t\n1")
    capsys.readouterr()
    res = ip.run_cell("%flow run", store_history=False)
    assert type(res.error_in_exec) is TypeError
    assert str(res.error_in_exec) == "unsupported operand"
    shown = capsys.readouterr()
    assert "Traceback" in shown.out + shown.err and "broken_summary" in shown.out + shown.err


def test_a_bug_in_flowbook_while_defining_a_task_is_not_a_usage_error(ip, monkeypatch):
    def broken_names_read(tree, filename):
        raise ValueError("names_read is broken")

    monkeypatch.setattr(flowbook.notebook.cell_task, "names_read", broken_names_read)
    res = ip.run_cell("%%task t\n1", store_history=False)
    assert type(res.error_in_exec) is ValueError  # not a UsageError, not a CellError
    assert "t" not in ip.user_ns and not nb().tasks


# -- what-if and stepping ------------------------------------------------------------------

SPARK_CELLS = ("%%task cluster\n'spark://1'",
               "%%task job\nraise RuntimeError(f'out of memory on {cluster}')",
               "%%task report\njob.upper()",
               "%%task tear_down --trigger always_run --upstream report\ncluster")


def _spark(ip):
    for cell in SPARK_CELLS:
        run(ip, cell)


def test_flow_simulate_prints_what_would_happen_and_runs_nothing(ip, capsys):
    _spark(ip)
    capsys.readouterr()
    state = run(ip, "%flow simulate job=Failed")
    out = capsys.readouterr().out
    assert "what if job=Failed: flow 'notebook' would end Success (All reference tasks " in out
    assert "job        Failed         as asked" in out
    assert "report     TriggerFailed  all_successful" in out and "job is Failed" in out
    assert state.is_successful() and nb().last_run is None
    everything = run(ip, "%flow simulate")
    assert everything.is_successful()  # the job's code would raise, but nothing ran


def test_flow_simulate_mistakes_are_usage_errors(ip):
    _spark(ip)
    assert "did you mean 'job'" in usage_error(ip, "%flow simulate jb=Failed")
    assert "TASK=STATE pairs" in usage_error(ip, "%flow simulate job")
    assert "not a state a task can end in" in usage_error(ip, "%flow simulate job=Broken")


def test_flow_run_break_then_step_and_resume(ip, capsys):
    run(ip, "%%task a\n1")
    run(ip, "%%task b\na + 1")
    run(ip, "%%task c\nb * 10")
    state = run(ip, "%flow run --break b")
    assert "Stopped at a breakpoint before b" in state.message
    states = nb().last_run.states
    assert {t.name: type(s).__name__ for t, s in states.items()} == {"a": "Success",
                                                                    "b": "Paused"}
    state = run(ip, "%flow step")
    assert "before c" in state.message
    assert run(ip, "%flow resume").result[run(ip, "c")].result == 20


def test_flow_step_begins_a_run_and_mistakes_are_usage_errors(ip):
    run(ip, "%%task a\n1")
    run(ip, "%%task b\na + 1")
    state = run(ip, "%flow step")
    assert "before b" in state.message and nb().last_run.number == 1
    assert "is not stopped at a breakpoint" in usage_error(ip, "%flow step a")
    assert "at most one TASK" in usage_error(ip, "%flow step a b")
    assert "did you mean 'b'" in usage_error(ip, "%flow run --break bb")
    run(ip, "%flow run --break all")
    assert "before a" in nb().last_state.message


def test_options_may_come_before_the_names(ip):
    run(ip, "%%task a --flow other\n1")
    run(ip, "%%task b --flow other\na + 1")
    state = run(ip, "%flow run --break b --flow other")
    assert "before b" in state.message
    assert "before" not in run(ip, "%flow resume --flow other b").message
    assert "did you mean 'b'" in usage_error(ip, "%flow step --flow other bb")


def test_flow_run_reuses_what_is_unchanged_and_says_why_the_rest_ran(ip, capsys):
    run(ip, "calls = []")
    run(ip, "%%task raw\ncalls.append('raw')\n[3, 1, 2]")
    run(ip, "%%task cleaned\ncalls.append('cleaned')\nsorted(raw)")
    run(ip, "%%task report\ncalls.append('report')\nlen(cleaned)")
    run(ip, "%flow run")
    run(ip, "%%task cleaned\ncalls.append('cleaned')\nsorted(raw, reverse=True)")
    assert [t.name for t in nb().stale()] == ["cleaned", "report"]
    capsys.readouterr()
    run(ip, "calls.clear()")
    run(ip, "%flow run")
    out = capsys.readouterr().out
    assert ip.user_ns["calls"] == ["cleaned", "report"]
    assert "raw      Cached   reused: code and inputs unchanged since run 1" in out
    assert "cleaned  Success  ran: code changed" in out
    assert "report   Success  ran: input changed: cleaned" in out
    assert nb().stale() == []
    run(ip, "calls.clear()")
    run(ip, "%flow run --all")
    assert ip.user_ns["calls"] == ["raw", "cleaned", "report"]


# -- %flow stop -------------------------------------------------------------------------------


def test_flow_stop_ends_the_runs_on_a_schedule(ip, capsys, monkeypatch):
    from datetime import datetime, timezone

    from flowbook.engine import scheduled
    from flowbook.engine.clock import FakeClock
    from flowbook.schedules import Schedule
    from flowbook.schedules.clocks import DatesClock

    monkeypatch.setattr(scheduled, "in_background", lambda: True)  # as in a kernel
    due = datetime(2024, 3, 1, 12, 5, tzinfo=timezone.utc)
    flow = flowbook.Flow("nightly", tasks=[flowbook.task(lambda: 1, name="one")],
                         schedule=Schedule([DatesClock([due])]))
    ip.user_ns["nightly"] = flow
    flow.run(clock=FakeClock(start=due.timestamp() - 60))
    run(ip, "%flow stop nightly")
    assert "flow 'nightly' no longer runs on its schedule" in capsys.readouterr().out
    assert scheduled.scheduled_runs(flow) is None and len(flow.runs) == 0


def test_flow_stop_says_when_nothing_runs_on_a_schedule(ip, capsys):
    ip.user_ns["idle"] = flowbook.Flow("idle")
    run(ip, "%flow stop idle")
    assert "flow 'idle' was not running on a schedule" in capsys.readouterr().out
