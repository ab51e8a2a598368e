"""How sure the figures are: replicates of a run on other seeds (chance, ``replicates``), the
intervals the report reads from them (``intervals``), one-at-a-time sensitivity to the
assumptions (``sensitivity``) and both in one call for the notebook (``study``).

Nothing is imported here: the report reads ``intervals`` without loading the stages that
``replicates`` runs.
"""
