"""Back ends generated from one model declaration: the compiled (numba) kernel and XMILE export.

The numpy kernel and the scalar reference live in :mod:`jzsim.engine`.
"""
