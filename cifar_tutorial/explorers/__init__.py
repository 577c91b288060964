"""Explorers: small interactive views (ipywidgets) for notebooks 1, 2 and 5.

* :func:`explore_training_set` (notebook 1): a training photo by class and number, and its pixel
  values as stored, after ``ToTensor`` and after ``Normalize``.
* :func:`explore_layers` (notebook 2): a test image's feature maps in ``conv1`` or ``conv2``, and
  that layer's filters, with notebook 4's trained weights when they exist.
* :func:`explore_confusion` (notebook 5): click a cell of the confusion matrix to see its images.
* :func:`explore_own_photo` (notebook 5): upload a photo (or pick a test image): what the network
  sees, its three likeliest classes, and a Grad-CAM heat map of where it looked.

Each returns an :class:`~.show.Explorer`: end a cell with it. JupyterLab and VS Code show the
live widget; where no widget can be drawn (papermill, nbconvert, the course website) the same
output shows a figure of one representative state, with alt text.
"""

from .confusion import explore_confusion
from .layers import explore_layers
from .own_photo import explore_own_photo
from .training_set import explore_training_set
from .weights import trained_or_fresh

__all__ = [
    "explore_confusion", "explore_layers", "explore_own_photo", "explore_training_set",
    "trained_or_fresh",
]  # fmt: skip
