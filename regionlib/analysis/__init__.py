"""Analysis: features, peers and clusters, spatial statistics, regions and their evaluation.

Modules here import the core and :mod:`regionlib.data`, never :mod:`regionlib.outputs` or the CLI.
"""
