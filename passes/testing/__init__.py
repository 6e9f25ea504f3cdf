"""Passes for testing the pass manager; registered only with SMOPT_TEST_PASSES=1."""
