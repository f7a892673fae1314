"""The mutation suite: plausible backprop bugs that the project's own tests must reject.

``python -m tests.mutants`` (``make mutate``) applies each mutant of the
catalogue to a temporary copy of the project, runs the tests chosen for it,
and prints which test killed it. None of these modules is collected by pytest
(no ``test_`` prefix); ``tests/test_mutants.py`` tests the machinery.
"""
