"""Helpers for the cifar-tutorial notebooks: data, models, training plumbing and pictures.

Each module does one job; a learner can read any of them on its own:

* :mod:`cifar_tutorial.data` - CIFAR-10 from every source, classic and fast loaders;
* :mod:`cifar_tutorial.device` and :mod:`cifar_tutorial.seeding` - where and how reproducibly;
* :mod:`cifar_tutorial.paths` and :mod:`cifar_tutorial.validation` - plumbing.
"""

__version__ = "0.1.0"
