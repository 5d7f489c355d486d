from flowbook import Task, flatten, mapped, task, unmapped
from flowbook.utilities import edges
from flowbook.utilities import tasks as utilities_tasks
from flowbook.utilities.tasks import defaults_from_attrs, tags


class Pair(Task):
    def __init__(self, a=None, b=None, **kwargs):
        self.a, self.b = a, b
        super().__init__(**kwargs)

    @defaults_from_attrs("a", "b")
    def run(self, a=None, b=None):
        return a, b


def test_keywords_left_out_take_the_tasks_attributes():
    assert Pair(a=1, b=2).run() == (1, 2)


def test_keywords_passed_are_kept_even_none():
    assert Pair(a=1, b=2).run(a=99, b=None) == (99, None)


def test_tags_are_given_to_tasks_made_in_the_block():
    with tags("db", "nightly"):
        with tags("slow"):
            made = Task(name="tagged")
    assert made.tags == {"db", "nightly", "slow"}


def test_the_modules_export_flowbooks_own_objects():
    assert utilities_tasks.task is task
    assert (edges.unmapped, edges.mapped, edges.flatten) == (unmapped, mapped, flatten)


def test_as_task_wraps_a_value_in_a_constant_and_unwraps_annotations():
    from flowbook.tasks.core import Constant

    made = utilities_tasks.as_task([1, (2, 3)])
    assert isinstance(made, Constant) and made.value == [1, (2, 3)] and made.auto_generated
    t = Task()
    assert utilities_tasks.as_task(unmapped(t)) is t and not t.auto_generated


def test_pause_task_pauses_the_task_until_it_is_resumed():
    from flowbook import Flow

    @task
    def gate():
        utilities_tasks.pause_task("waiting for a person")
        return "passed"

    with Flow("gate") as flow:
        g = gate()
    paused = flow.run().result[g]
    assert paused.is_paused() and paused.message == "waiting for a person"
    assert flow.resume(g).result[g].result == "passed"
