"""Saving and loading: TF V2 checkpoints, SavedModels, Keras weight import, frozen graphs."""
from .bundle import CheckpointError, list_variables, read_index
from .checkpoint import Saver, checkpoint_key, latest_checkpoint, read_variables

__all__ = ["CheckpointError", "list_variables", "read_index", "Saver", "checkpoint_key", "latest_checkpoint",
           "read_variables"]
