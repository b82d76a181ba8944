"""The process entry points: one ``main`` per console script, and the one table of their options.

This is the only package that imports every service (and the api). It is not called ``cmd``:
a top-level package of that name loses to the standard library's ``cmd`` module, which Python
finds first, so ``cmd.manage`` would not import from an installed ember.
"""
