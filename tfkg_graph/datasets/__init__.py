"""``keras.datasets``: the standard datasets read from Keras' local cache (``$KERAS_HOME/datasets``, default
``~/.keras/datasets``), giving the arrays Keras' ``load_data`` gives. Nothing is downloaded: a missing file
raises ``DatasetFileMissing`` naming the file and its URL."""
from . import boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters
from ._files import DatasetFileMissing

__all__ = ["DatasetFileMissing", "boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist",
           "imdb", "mnist", "reuters"]
