"""Item response theory: the graded response model (marginal ML), information, EAP scores.

Modules: :mod:`fip.irt.grm` (fit), :mod:`fip.irt.scoring` (information, EAP, marginal
reliability).
"""

from fip.irt.grm import GRMResult, CategoryCollapseWarning, fit_grm, grm_category_probs
from fip.irt.scoring import EAPScores, eap_scores, item_information

__all__ = ["CategoryCollapseWarning", "EAPScores", "GRMResult", "eap_scores", "fit_grm",
           "grm_category_probs", "item_information"]
