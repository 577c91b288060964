"""``python -m cifar_tutorial.course`` is the same as ``cifar-tutorial``."""

import sys

from .cli import main

sys.exit(main())
