"""A real-time, full-duplex voice assistant (see README.md).

Importing the package sets how long OpenMP threads spin (assistant/openmp.py) before any model library
loads: libgomp reads it once; and caps glibc's malloc arenas (assistant/heap.py) before any model thread
allocates.
"""

from assistant.heap import limit_arenas
from assistant.openmp import limit_spinning

limit_spinning()
limit_arenas()
