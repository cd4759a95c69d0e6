"""`siri quickstart` end to end on a miniature budget: every stage runs and leaves its outputs, and a
second call picks the finished stages up instead of redoing them."""

import json

from siri.cli import main

TINY_BUDGET = [
    "sft.episodes=4", "sft.hint_episodes=4", "sft.summary_examples=4", "sft.skill_sources=8", "sft.epochs=1",
    "train.iterations=3", "train.groups_per_iter=1", "train.group_size=2", "env.max_steps=3", "eval.episodes=2",
    "algo.generator=extractive", "algo.max_warmup_iters=1", "algo.phase1_max_iters=1", "run.progress=false",
    "train.checkpoint_every=2", "train.keep_checkpoints=1",  # the quickstart keeps every checkpoint anyway
]


def test_quickstart_runs_every_stage_and_resumes(tmp_path, capsys):
    out = tmp_path / "qs"
    assert main(["quickstart", "--out", str(out), *TINY_BUDGET]) == 0
    printed = capsys.readouterr().out
    run = out / "siri"
    assert (out / "models" / "tiny" / "config.json").exists()
    assert (out / "sft" / "model" / "model.safetensors").exists()
    assert (run / "report.md").exists() and f"report: {run / 'report.md'}" in printed
    assert json.loads((run / "eval" / "final_eval.json").read_text())["episodes"] == 2
    assert (run / "eval" / "sft_start.json").exists()
    phases = [json.loads(line)["phase"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert phases == ["phase0", "phase1", "phase2"]
    # the end of Phase 0 is evaluated from its checkpoint, kept although only one is kept by default
    assert json.loads((run / "eval" / "phase0_end.json").read_text())["episodes"] == 2
    assert (run / "checkpoints" / "iter_000000" / "model" / "config.json").exists()
    report = (run / "report.md").read_text()
    assert "| end of Phase 0 |" in report[report.index("## At a glance"):report.index("## Summary")]
    # Finished stages are skipped on a second call; the trained run is not redone.
    assert main(["quickstart", "--out", str(out), *TINY_BUDGET]) == 0
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 3
