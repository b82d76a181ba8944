"""Helpers of ``deploy/local-cluster``: a whole ember deployment on loopback from Debian's packages.

Only the launcher imports this package; ember itself never does, and it is not installed.
"""
