"""Analyses and op tables the passes share (effects, costs, XLA ops, variables)."""
