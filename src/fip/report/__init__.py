"""fip.report: the replication report (`fip replicate`): HTML page, CSV tables, PNG figures.

Examples
--------
>>> from fip.report import STEPS
>>> STEPS[0], STEPS[-1]
('sample', 'report')
"""

from fip.report.replicate import PREDICT_C, STEPS, ReplicationResult, replicate

__all__ = ["PREDICT_C", "STEPS", "ReplicationResult", "replicate"]
