"""fip.report: the replication report (`fip replicate`: HTML page, CSV tables, PNG figures)
and the quarterly status note of a municipality (`fip status-note`).

Examples
--------
>>> from fip.report import STEPS
>>> STEPS[0], STEPS[-1]
('sample', 'report')
"""

from fip.report.replicate import STEPS, ReplicationResult, replicate
from fip.report.status_note import StatusNote, status_note

__all__ = ["STEPS", "ReplicationResult", "StatusNote", "replicate", "status_note"]
