"""Execution engines for batch work. The single-machine path lives with each stage; the engines here
run the same work elsewhere. :mod:`regioqa.engines.ray_engine` needs the optional extra
``pip install 'regioqa[ray]'`` and is imported only when asked for (``--engine ray``).

>>> ENGINES
('local', 'ray')
"""

from __future__ import annotations

ENGINES = ("local", "ray")
