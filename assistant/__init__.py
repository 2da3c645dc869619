"""A real-time, full-duplex voice assistant (see README.md).

Importing the package sets how long OpenMP threads spin (assistant/openmp.py) before any model library
loads: libgomp reads it once.
"""

from assistant.openmp import limit_spinning

limit_spinning()
