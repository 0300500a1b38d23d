"""What a person looks at: the chain-rule table (``trace``), its LaTeX (``latex``), Graphviz drawings
(``viz``), the step-by-step page (``stepper``) and training plots (``plot``)."""
