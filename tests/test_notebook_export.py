"""``%flow export``: the script of a flow built in a real IPython shell, what it contains and
refuses, and (the proof) tutorial flows exported from a real kernel running the same in
``python`` as in the notebook."""

import json
import pathlib
import re
import subprocess
import sys

import pytest

pytest.importorskip("IPython")
from IPython.core.error import UsageError  # noqa: E402

from flowbook.errors import UserValueError  # noqa: E402
from flowbook.notebook import export, registry  # noqa: E402

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"




def run(ip, cell):
    """Run a cell that must succeed, keeping it in the history as a notebook does."""
    res = ip.run_cell(cell, store_history=True)
    if res.error_before_exec or res.error_in_exec:
        raise res.error_before_exec or res.error_in_exec
    return res.result


def script_of(ip, flow=None):
    return export.script(registry.find_flow(flow, ip.user_ns), ip.user_ns)


def refusal(ip, flow=None):
    with pytest.raises(UserValueError) as info:
        script_of(ip, flow)
    return str(info.value)


def outcome(flow, state):
    """The lines an exported script prints: the flow state, then each task's."""
    lines = [str(state)]
    for t, name in flow.plan().names.items():
        s = state.result[t]
        children = [type(c).__name__ for c in getattr(s, "map_states", [])]
        lines.append(" ".join([f"{name:24} {type(s).__name__}", *children]))
    return lines


def run_in_python(text, tmp_path):
    """The script run by ``python`` in a fresh process: the lines it prints."""
    path = tmp_path / "exported.py"
    path.write_text(text)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    return [line.rstrip() for line in done.stdout.splitlines()]


def load(text):
    """The script's module namespace, imported under another name (so nothing runs)."""
    namespace = {"__name__": "exported"}
    exec(compile(text, "exported.py", "exec"), namespace)
    return namespace


def same_run(ip, text, flow=None):
    """The script's flow, run in this process, ends as the notebook's flow does."""
    original = registry.find_flow(flow, ip.user_ns)
    copy = load(text)["flow"]
    assert outcome(copy, copy.run()) == outcome(original, original.run())


# -- %%task cells and @task functions -------------------------------------------------------


def test_task_cell_becomes_a_task_function_returning_its_last_expression(ip):
    run(ip, "%%task readings\n[12.5, 13.1, 11.8]")
    run(ip, "%%task average\nn = len(readings)\nsum(readings) / n   # the mean")
    text = script_of(ip)
    assert ("@task\ndef average(readings):\n    n = len(readings)\n"
            "    return sum(readings) / n   # the mean\n") in text
    assert "    average_task = average(readings=readings_task)\n" in text
    same_run(ip, text)


def test_task_cell_with_a_string_spanning_lines_is_written_unchanged(ip):
    run(ip, '%%task text\n"""first\n  second"""')
    text = script_of(ip)
    assert "return 'first\\n  second'" in text
    assert load(text)["flow"].run().result.popitem()[1].result == "first\n  second"


def test_task_cell_options_become_its_decorator(ip):
    run(ip, "%%task cluster\n'spark://c'")
    run(ip, "%%task job --reference\nraise RuntimeError(cluster)")
    run(ip, "%%task tear_down --trigger always_run --upstream job --max-retries 2 "
            "--retry-delay 0 --no-skip-on-upstream-skip\nf'{cluster} down'")
    text = script_of(ip)
    assert ("@task(max_retries=2, retry_delay=0.0, trigger=triggers.always_run, "
            "skip_on_upstream_skip=False)\ndef tear_down(cluster):") in text
    assert "tear_down(cluster=cluster_task, upstream_tasks=[job_task])" in text
    assert "flow.set_reference_tasks([job_task])" in text
    same_run(ip, text)


def test_task_function_keeps_its_body_and_gets_a_decorator_from_its_options(ip):
    run(ip, "from flowbook import task, Flow, triggers\n"
            "@task(max_retries=1, retry_delay=0,\n      trigger=triggers.any_failed)\n"
            "def alert(x):\n    # page someone\n    return f'paged about {x}'\n"
            "@task\ndef fail():\n    raise ValueError('no')\n"
            "with Flow('f') as f:\n    paged = alert(fail())")
    text = script_of(ip, "f")
    assert ("@task(max_retries=1, retry_delay=0.0, trigger=triggers.any_failed)\n"
            "def alert(x):\n    # page someone\n    return f'paged about {x}'\n") in text
    assert "    paged = alert(x=fail_task)\n" in text
    same_run(ip, text, "f")


def test_a_copy_with_other_options_gets_task_args(ip):
    run(ip, "from flowbook import task, Flow, triggers\n"
            "@task\ndef step():\n    return 1\n"
            "def majority(upstream_states):\n    return True\n"
            "with Flow('f') as f:\n    a = step()\n"
            "    b = step(upstream_tasks=[a], task_args={'name': 'b', 'trigger': majority})\n"
            "    c = step(upstream_tasks=[a], task_args={'trigger': "
            "triggers.some_successful(at_least=1), 'tags': {'x'}})")
    text = script_of(ip, "f")
    assert "b = step(upstream_tasks=[a], task_args=dict(name=\"b\", trigger=majority))" in text
    assert ("task_args=dict(tags=frozenset({\"x\"}), "
            "trigger=triggers.some_successful(at_least=1))") in text
    assert "def majority(upstream_states):" in text  # the notebook's trigger comes along
    same_run(ip, text, "f")


# -- the notebook's code --------------------------------------------------------------------


def test_only_the_statements_the_tasks_need_come_from_the_notebook(ip):
    run(ip, "from math import sqrt, pi\nimport os\nfactor = 2\nunused = 1\n"
            "def scale(x):\n    return x * factor\n"
            "from flowbook import task, Flow")
    run(ip, "@task\ndef root():\n    return sqrt(scale(8))\n"
            "with Flow('f') as f:\n    r = root()\nstate = f.run()")
    text = script_of(ip, "f")
    assert re.search(r"# In\[\d+\]\nfrom math import sqrt\nfactor = 2\n\ndef scale\(x\):", text)
    for absent in ("pi", "import os", "unused", "state = f.run()", "f.run()"):
        assert absent not in text.split("if __name__")[0]
    same_run(ip, text, "f")


def test_the_latest_definition_of_a_name_is_the_one_written(ip):
    run(ip, "from flowbook import task, Flow\nlimit = 1\ndef clean(x):\n    return x\n"
            "@task\ndef load():\n    return clean(limit)\nwith Flow('f') as f:\n    load()")
    run(ip, "def clean(x):\n    return -x")
    run(ip, "limit = 3")
    text = script_of(ip, "f")
    assert text.count("def clean") == 1 and "return -x" in text
    assert "limit = 3" in text and "limit = 1" not in text
    assert list(load(text)["flow"].run().result.values())[0].result == -3


def test_a_name_read_at_once_comes_from_before_its_reader(ip):
    run(ip, "base = 2")
    run(ip, "size = base * 10")
    run(ip, "base = 5")
    run(ip, "%%task total\nsize + base")
    text = script_of(ip)
    assert text.index("base = 2") < text.index("size = base * 10") < text.index("base = 5")
    assert list(load(text)["flow"].run().result.values())[0].result == 25


# -- the flow: constants, parameters, mapping, branches ---------------------------------------


def test_constants_and_parameters_are_written_as_literals(ip):
    run(ip, "from flowbook import task, Flow, Parameter\n"
            "@task\ndef add(x, y, extra=None):\n    return x + y + len(extra or [])\n"
            "with Flow('f') as f:\n    n = Parameter('n', default=1)\n"
            "    total = add(n, 10, extra=['a', 'b'])\n"
            "f.add_task(Parameter('unused', default='x'))")
    text = script_of(ip, "f")
    assert '    n = Parameter("n", default=1)\n' in text
    assert "    total = add(x=n, y=10, extra=['a', 'b'])\n" in text
    assert "    flow.add_task(unused)\n" in text  # a parameter no task reads
    same_run(ip, text, "f")


def test_mapped_tasks_keep_their_mapped_unmapped_and_flattened_arguments(ip):
    run(ip, "from flowbook import task, Flow, unmapped, flatten\n"
            "@task\ndef nested():\n    return [[1, 2], [3]]\n"
            "@task\ndef scale(x, by):\n    return x * by\n"
            "@task\ndef total(xs):\n    return sum(xs)\n"
            "with Flow('f') as f:\n    scaled = scale.map(flatten(nested()), by=unmapped(10))\n"
            "    squares = scale.map([1, 2, 3], unmapped(scaled))\n    t = total(scaled)")
    text = script_of(ip, "f")
    assert "scaled = scale.map(x=flatten(nested_task), by=unmapped(10))" in text
    assert "squares = scale.map(x=[1, 2, 3], by=unmapped(scaled))" in text
    same_run(ip, text, "f")


def test_lists_dicts_and_tuples_of_tasks_are_written_as_written(ip):
    run(ip, "from flowbook import task, Flow\n"
            "@task(nout=2)\ndef pair():\n    return 1, 2\n"
            "@task\ndef show(items, mapping, both):\n    return items, mapping, both\n"
            "with Flow('f') as f:\n    a, b = pair()\n"
            "    s = show([a, b, 3], {'x': a, 'y': 5}, (a, b))")
    text = script_of(ip, "f")
    assert '    a = GetItem(name="pair[0]")(task_result=pair_task, key=0)\n' in text
    assert '    s = show(items=[a, b, 3], mapping={"x": a, "y": 5}, both=(a, b))\n' in text
    same_run(ip, text, "f")


def test_case_blocks_and_merge_are_written_as_the_notebook_wrote_them(ip):
    run(ip, "from flowbook import task, Flow, case, merge, Parameter\n"
            "@task\ndef weekend(day):\n    return day == 'Sat'\n"
            "@task\ndef rest():\n    return 'rest'\n@task\ndef work():\n    return 'work'\n"
            "with Flow('f') as f:\n    is_weekend = weekend(Parameter('day', default='Mon'))\n"
            "    with case(is_weekend, True):\n        a = rest()\n"
            "    with case(is_weekend, False):\n        b = work()\n    plan = merge(a, b)")
    text = script_of(ip, "f")
    assert ("    with case(is_weekend, True):\n        a = rest()\n"
            "    with case(is_weekend, False):\n        b = work()\n"
            "    plan = merge(a, b)\n") in text
    same_run(ip, text, "f")


def test_reference_tasks_are_set_only_when_chosen(ip):
    run(ip, "from flowbook import task, Flow\n@task\ndef one():\n    return 1\n"
            "with Flow('f') as f:\n    a, b = one(), one()")
    assert "set_reference_tasks" not in script_of(ip, "f")
    run(ip, "f.set_reference_tasks([b])")
    assert "flow.set_reference_tasks([b])" in script_of(ip, "f")


def test_the_script_runs_in_python_with_the_notebook_flow_states(ip, tmp_path):
    run(ip, "%%task cluster\n'spark://c'")
    run(ip, "%%task job --reference\nraise RuntimeError(f'job on {cluster} failed')")
    run(ip, "%%task tear_down --trigger always_run --upstream job\nf'{cluster} down'")
    flow = registry.find_flow(None, ip.user_ns)
    lines = run_in_python(script_of(ip), tmp_path)
    assert lines == outcome(flow, flow.run())
    assert lines[0].startswith("<Failed")


# -- what cannot be exported ----------------------------------------------------------------


def test_a_lambda_task_is_refused_by_name(ip):
    run(ip, "from flowbook import task, Flow\n"
            "with Flow('f') as f:\n    for n in range(2):\n"
            "        task(lambda: n, name=f'step{n}')()")
    assert "task 'step0' is built from a lambda" in refusal(ip, "f")


def test_a_function_reading_its_enclosing_function_is_refused(ip):
    run(ip, "from flowbook import task, Flow\ndef make(k):\n"
            "    @task\n    def inner():\n        return k\n    return inner\n"
            "with Flow('f') as f:\n    make(3)()")
    assert "task 'inner' runs make.<locals>.inner, which reads k" in refusal(ip, "f")


def test_a_constant_without_a_literal_is_refused_naming_task_and_argument(ip):
    run(ip, "import threading\nfrom flowbook import task, Flow\n"
            "@task\ndef use(lock):\n    return 1\n"
            "with Flow('f') as f:\n    use(threading.Lock())")
    message = refusal(ip, "f")
    assert "task 'use': its argument 'lock' is <unlocked _thread.lock" in message
    assert "cannot be written as a Python literal" in message


def test_a_name_no_cell_defines_is_refused(ip):
    run(ip, "%%task total\nsum(missing_rows)")
    assert "task 'total' reads 'missing_rows', which no cell of the notebook defines" in \
        refusal(ip)


def test_a_name_only_a_magic_sets_is_refused(ip):
    run(ip, "rows = %sx echo 1")
    run(ip, "%%task count\nlen(rows)")
    assert "reads 'rows', which only a magic sets" in refusal(ip)


def test_a_name_set_inside_a_for_block_is_refused(ip):
    run(ip, "for limit in range(3):\n    pass")
    run(ip, "%%task top\nlimit")
    assert re.search(r"reads 'limit', which In\[\d+\] sets inside a `for` block",
                     refusal(ip))


def test_a_task_class_with_its_own_init_is_refused(ip):
    run(ip, "from flowbook import Task, Flow\nclass Add(Task):\n"
            "    def __init__(self, k):\n        super().__init__()\n        self.k = k\n"
            "    def run(self):\n        return self.k\n"
            "with Flow('f') as f:\n    Add(1)()")
    assert "task 'Add' is a Add, whose __init__ takes arguments" in refusal(ip, "f")


# -- the magic ------------------------------------------------------------------------------


def test_export_magic_writes_the_script_and_says_how_to_run_it(ip, tmp_path, capsys):
    run(ip, "%%task answer\n42")
    path = tmp_path / "answer.py"
    run(ip, f"%flow export {path}")
    assert f"wrote {path}: flow 'notebook', 1 tasks; run it with `python {path}`" in \
        capsys.readouterr().out
    assert "def answer():\n    return 42" in path.read_text()
    run(ip, f"%flow export {path} notebook")
    assert capsys.readouterr().out.startswith(f"replaced {path}")


def test_export_magic_shows_a_refusal_as_a_usage_error(ip, tmp_path):
    run(ip, "%%task total\nsum(missing_rows)")
    res = ip.run_cell(f"%flow export {tmp_path / 'x.py'}", store_history=False)
    assert isinstance(res.error_in_exec, UsageError)
    assert "missing_rows" in str(res.error_in_exec)
    assert not (tmp_path / "x.py").exists()


def test_export_magic_needs_a_py_path(ip):
    res = ip.run_cell("%flow export notebook", store_history=False)
    assert "%flow export takes PATH.py" in str(res.error_in_exec)


# -- the proof: tutorials, exported from a real kernel, run by python ------------------------

# Tutorial -> the flow variables (or notebook flow names) exported after it ran. Every flow a
# tutorial leaves bound is there; 07-scaling-out is left out: it starts Dask clusters (~10 s
# more), and its flows (a map over a constant list, a result Dask cannot send) run the same
# with the default executor as 06's do.
TUTORIAL_FLOWS = {
    "00-quickstart.ipynb": ["flow", "why_flow"],
    "01-tasks-and-flows.ipynb": ["flow", "notebook"],
    "02-triggers.ipynb": ["flow", "gallery", "vote", "bad_day", "good_day"],
    "03-reference-tasks.ipynb": ["flow", "notebook", "backup"],
    "04-signals.ipynb": ["flow", "daily", "retry_flow", "loop_flow", "orders_flow"],
    "05-pause-resume-retry.ipynb": ["flow", "payments", "etl", "report_flow"],
    "06-mapping-and-branches.ipynb": ["flow", "labels", "parsing", "morning"],
    "08-debugging-a-flow.ipynb": ["etl"],
}


def _with_export_cells(book, flows, folder):
    """The tutorial, then a cell exporting each flow and one printing a fresh run of each."""
    import nbformat

    exports = "\n".join(f"%flow export {folder / f'{name}.py'} {name}" for name in flows)
    book.cells.append(nbformat.v4.new_code_cell("%reload_ext flowbook\n" + exports))
    book.cells.append(nbformat.v4.new_code_cell(
        "import json\nfrom flowbook.notebook.registry import find_flow\n"
        "def _outcome(flow, state):\n"
        "    lines = [str(state)]\n"
        "    for t, name in flow.plan().names.items():\n"
        "        s = state.result[t]\n"
        "        children = [type(c).__name__ for c in getattr(s, 'map_states', [])]\n"
        "        lines.append(' '.join([f'{name:24} {type(s).__name__}', *children]))\n"
        "    return lines\n"
        f"print(json.dumps({{name: _outcome(find_flow(name, globals()), "
        f"find_flow(name, globals()).run()) for name in {flows!r}}}))"))
    return book


@pytest.mark.parametrize("tutorial", sorted(TUTORIAL_FLOWS))
def test_tutorial_flows_exported_run_in_python_with_the_notebook_states(tutorial, tmp_path):
    """Each flow of the tutorial, exported at its end, runs with ``python`` to the states
    a new run of it reaches in the notebook."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    flows = TUTORIAL_FLOWS[tutorial]
    book = _with_export_cells(nbformat.read(NOTEBOOKS / tutorial, as_version=4), flows,
                              tmp_path)
    nbclient.NotebookClient(book, timeout=120, kernel_name="python3", resources={
        "metadata": {"path": str(NOTEBOOKS)}}).execute()
    # stdout is a stream: the kernel may send one print in several messages
    printed = "".join(o["text"] for o in book.cells[-1].outputs if o.get("name") == "stdout")
    in_notebook = json.loads(printed)
    for name in flows:
        script = (tmp_path / f"{name}.py").read_text()
        assert run_in_python(script, tmp_path) == in_notebook[name], name
