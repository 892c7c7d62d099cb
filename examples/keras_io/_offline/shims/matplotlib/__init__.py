"""Headless stand-in for matplotlib, used by the keras-io corpus runner only when matplotlib is not installed:
every plotting call is accepted and draws nothing (the examples' figures are not part of what is checked)."""
