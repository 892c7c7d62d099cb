"""Saving and loading: TF V2 checkpoints, SavedModels, Keras weight import, frozen graphs."""
from .bundle import CheckpointError, list_variables, read_index
from .checkpoint import Saver, checkpoint_key, latest_checkpoint, read_variables
from .safety import SAFE_OPS, UnsafeGraphError, check_graph_def
from .savedmodel import (SavedModelError, SavedModelPredictor, Signature, freeze, load_session, read_saved_model,
                         write_saved_model)

__all__ = ["CheckpointError", "list_variables", "read_index", "Saver", "checkpoint_key", "latest_checkpoint",
           "read_variables", "SAFE_OPS", "UnsafeGraphError", "check_graph_def", "SavedModelError",
           "SavedModelPredictor", "Signature", "freeze", "load_session", "read_saved_model", "write_saved_model"]
