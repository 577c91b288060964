"""``cifar-tutorial hub``: the course for a whole class on one server, with JupyterHub.

:mod:`.accounts` (the class list, generated passwords, their hashes), :mod:`.settings`
(what the hub was started with), :mod:`.authenticator` and :mod:`.spawner` (JupyterHub's
login and each learner's server), :mod:`.workspace` (a learner's folder),
``jupyterhub_config.py`` (the configuration ``jupyterhub -f`` reads) and :mod:`.command`
(the subcommand). Only the last three import JupyterHub's pieces at run time.
"""
