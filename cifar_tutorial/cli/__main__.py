"""``python -m cifar_tutorial.cli`` is the same as ``cifar-tutorial``."""

import sys

from .main import main

sys.exit(main())
