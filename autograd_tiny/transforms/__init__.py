"""Other readings of the one rule table: higher-order and forward-mode derivatives (``higher``),
the gradient checker (``gradcheck``) and Python code generated from a graph (``compile``)."""
