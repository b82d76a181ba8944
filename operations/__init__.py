"""The claim/fence/land skeleton every service that runs operations on resources shares.

A service describes each resource kind it works on (``kinds.Kind``: how to get it, its
transitions, its landing), says who may act (``fence``), and hands each operation's work to
``runner.OperationRunner``; ``recovery`` finishes what a dead holder left. It imports ``db``,
``drivers.errors`` and ``common``, never a service: ``volume/`` uses it today, ``backup/`` next.
"""
