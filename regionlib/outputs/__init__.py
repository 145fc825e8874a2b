"""Outputs: web and print maps, tables and workbooks, profiles, the atlas and the demo.

Modules here may import the core, :mod:`regionlib.data` and :mod:`regionlib.analysis`, never
the CLI.
"""
