"""Reports of run directories (docs/run-directory.md: `report.md` with PNG plots).

`siri.report.data` loads a run (pure reading), `siri.report.plots` and `siri.report.plots_methods`
draw one PNG per question from what `siri.report.prep` computes (pure) with the words of
`siri.report.labels`, `siri.report.markdown` writes `RUN_DIR/report.md`, `siri.report.aggregate` holds
the pure across-seed arithmetic and `siri.report.compare` writes a comparison of several runs.
"""

from siri.report.data import RunData, load_run
from siri.report.markdown import write_report

__all__ = ["RunData", "load_run", "write_report"]
