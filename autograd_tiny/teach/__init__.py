"""Teaching material: the worked examples with their answer keys (``examples``), the pitfalls as
planted mistakes (``pitfalls``), the matrix reference (``matrix``) and exercises (``practice``)."""
