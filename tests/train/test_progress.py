"""Progress inside an iteration: the trainer hands one reporter to the rollout and the update, and the
terminal bar shows turns and mini-batches (docs/architecture.md "Commands")."""

from siri.train.loop import Trainer
from siri.utils.metrics import BarReporter, progress
from siri.utils.reporter import NULL_REPORTER, Reporter


class Recorder(Reporter):
    def __init__(self):
        self.events = []

    def rollout_turn(self, turn, max_turns, episodes_done, episodes):
        self.events.append(("turn", turn, max_turns, episodes_done, episodes))

    def update_step(self, step, steps):
        self.events.append(("update", step, steps))


def test_an_iteration_reports_its_turns_then_its_mini_batches(tiny_cfg):
    # 2 groups x 2 rollouts of at most 3 steps; mini-batches of 4 rows, 2 PPO epochs
    trainer = Trainer(tiny_cfg("train.mini_batch_rows=4", "train.ppo_epochs=2"))
    heard = Recorder()
    row = trainer.iteration(0, heard)
    turns = [e for e in heard.events if e[0] == "turn"]
    updates = [e for e in heard.events if e[0] == "update"]
    assert heard.events == turns + updates  # the rollout ends before the update starts
    assert turns[0] == ("turn", 0, 3, 0, 4) and turns[-1][3] == 4  # all 4 episodes done at the end
    assert [e[1] for e in turns] == list(range(len(turns))) and len(turns) <= 4
    steps = 2 * -(-row["env_steps_total"] // 4)  # one row per environment step, in mini-batches of 4
    assert updates == [("update", k, steps) for k in range(steps + 1)]


def test_the_default_reporter_hears_nothing():
    NULL_REPORTER.rollout_turn(1, 3, 0, 4)
    NULL_REPORTER.update_step(1, 2)


def test_bar_reporter_shows_turns_then_mini_batches_and_goes_away():
    bar = progress(disable=True)
    outer = bar.add_task("train", total=2, status="")
    inner = BarReporter(bar)
    inner.rollout_turn(0, 3, 0, 4)
    inner.rollout_turn(2, 3, 1, 4)
    task = bar.tasks[-1]
    assert (task.description, task.completed, task.total, task.fields["status"]) == \
        ("  rollout turn", 2, 3, "episodes done 1/4")
    inner.update_step(0, 6)
    inner.update_step(5, 6)
    task = bar.tasks[-1]
    assert (task.description, task.completed, task.total) == ("  update mini-batch", 5, 6)
    inner.update_step(6, 6)
    assert [t.id for t in bar.tasks] == [outer]
