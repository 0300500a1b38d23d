"""The engine: the rule table, ``Value`` and its backward pass, the graph walk (and what they print with).

Read in this order: ``rules.py`` (every op's forward and local derivatives, one line each, and how a
row becomes the engine's float code), ``engine.py`` (``Value``, ``backward``), ``graph.py`` (the
iterative topological sort). ``floats.py`` holds the math functions the rules are written in,
``printing.py`` reads an expression as text, LaTeX or Python, ``names.py`` names nodes for every
view, and ``functional.py`` builds the n-ary ops (sums, dot products, neurons) as single nodes.
"""
