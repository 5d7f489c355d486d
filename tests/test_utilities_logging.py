import logging
import threading

from builders import chain_flow

from flowbook import Flow, context, task
from flowbook.engine.clock import FakeClock
from flowbook.executors import LocalDaskExecutor
from flowbook.utilities.logging import get_logger


def logged(flow, task_, map_index=None):
    return flow.last_run.outputs[(task_, map_index)].log


def test_get_logger_is_the_flowbook_tree():
    assert get_logger().name == "flowbook"
    assert get_logger("load").name == "flowbook.load"
    assert get_logger("load").parent is get_logger()


def test_tasks_and_flows_have_loggers_named_for_them():
    assert task(lambda: 1, name="load").logger.name == "flowbook.load"
    assert Flow("etl").logger.name == "flowbook.etl"


def test_the_flowbook_logger_shows_info_by_default():
    assert get_logger("anything").getEffectiveLevel() == logging.INFO


def test_the_context_logger_of_a_task_run_is_the_tasks_logger():
    @task
    def which_logger():
        return context.get("logger")

    flow, (t,) = chain_flow(which_logger)
    assert flow.run().result[t].result is which_logger.logger


def test_a_mapped_child_logs_under_its_full_name():
    @task
    def child_logger(x):
        return context.get("logger").name

    with Flow("mapped") as flow:
        t = child_logger.map([10, 20])
    assert flow.run().result[t].result == ["flowbook.child_logger[0]",
                                           "flowbook.child_logger[1]"]


def test_what_a_body_logs_is_kept_with_its_task_run():
    @task
    def chatty():
        context.get("logger").info("loaded %d rows", 3)

    flow, (t,) = chain_flow(chatty)
    flow.run()
    assert "INFO - flowbook.chatty | loaded 3 rows\n" in logged(flow, t)


def test_debug_records_are_not_kept_at_the_default_level():
    @task
    def quiet():
        context.get("logger").debug("details")

    flow, (t,) = chain_flow(quiet)
    flow.run()
    assert (t, None) not in flow.last_run.outputs


def test_each_mapped_child_keeps_its_own_records():
    @task
    def say(x):
        context.get("logger").info("child %s", x)

    with Flow("mapped") as flow:
        t = say.map([1, 2])
    flow.run()
    assert "child 1" in logged(flow, t, 0) and "child 2" not in logged(flow, t, 0)
    assert "child 2" in logged(flow, t, 1)


def test_records_of_a_body_under_a_timeout_are_kept_with_its_run():
    @task(timeout=60)
    def timed():
        context.get("logger").critical("important")

    flow, (t,) = chain_flow(timed)
    flow.run(clock=FakeClock())
    assert "CRITICAL - flowbook.timed | important" in logged(flow, t)


def test_records_of_bodies_on_threads_are_kept_with_each_run():
    both = threading.Barrier(2, timeout=30)  # the two bodies log at the same time

    @task
    def together(x):
        both.wait()
        context.get("logger").info("from %s", x)

    with Flow("threads") as flow:
        t = together.map(["a", "b"])
    flow.run(executor=LocalDaskExecutor(num_workers=2))
    assert logged(flow, t, 0).count("from") == 1 and "from a" in logged(flow, t, 0)
    assert logged(flow, t, 1).count("from") == 1 and "from b" in logged(flow, t, 1)


def test_records_are_shown_on_stderr_and_not_kept_as_printed_text(capsys):
    @task
    def chatty():
        context.get("logger").warning("careful")

    flow, (t,) = chain_flow(chatty)
    flow.run()
    assert "WARNING - flowbook.chatty | careful" in capsys.readouterr().err
    assert flow.last_run.outputs[(t, None)].stderr == ""


def test_records_propagate_to_the_root_logger(caplog):
    @task
    def chatty():
        context.get("logger").critical("important log right here")

    flow, _ = chain_flow(chatty)
    flow.run()
    assert [r.message for r in caplog.records if r.levelname == "CRITICAL"] == [
        "important log right here"]


def test_records_outside_task_runs_are_shown_not_kept(capsys):
    get_logger("outside").warning("not in a task")
    assert "flowbook.outside | not in a task" in capsys.readouterr().err



def test_a_task_with_log_stdout_logs_what_it_prints(capsys):
    @task(log_stdout=True)
    def printer():
        print("a line")
        print()

    flow, (t,) = chain_flow(printer)
    flow.run()
    out = flow.last_run.outputs[(t, None)]
    assert out.stdout == "" and out.log.count("INFO - flowbook.printer | a line\n") == 1
    assert "a line" not in capsys.readouterr().out


def test_get_logger_gives_loggings_own_logger_made_once():
    made = get_logger("made-once-here")
    assert made is logging.getLogger("flowbook.made-once-here")
    assert get_logger("made-once-here") is made
    logging.getLogger("flowbook.parent-only.child")  # leaves a PlaceHolder for the parent
    assert type(get_logger("parent-only")) is logging.Logger
    assert get_logger("parent-only.child").parent is get_logger("parent-only")
