"""``python -m autograd_tiny``: the same as the ``autograd-tiny`` command."""

import sys

from autograd_tiny.cli import main

sys.exit(main())
