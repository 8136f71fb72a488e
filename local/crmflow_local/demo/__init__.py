"""``crmflow demo`` (``make demo``): an account of a real size driven through 30 simulated days on the
embedded runtime, through the HTTP API and the virtual clock, and a report (docs/demo.md).

- :mod:`~crmflow_local.demo.account`: the account builder (settings, teams, pipelines, records)
- :mod:`~crmflow_local.demo.workflows`: the six workflows and the billing system the webhook calls
- :mod:`~crmflow_local.demo.activity`: what happens on each simulated day
- :mod:`~crmflow_local.demo.collect`: daily snapshots and the final answers, read from the API
- :mod:`~crmflow_local.demo.report` and :mod:`~crmflow_local.demo.charts`: the HTML report
- :mod:`~crmflow_local.demo.run`: the run itself, with a progress bar and a summary table
"""

from crmflow_local.demo.run import Demo, run_demo

__all__ = ["Demo", "run_demo"]
