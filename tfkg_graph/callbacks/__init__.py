"""Keras-named callbacks for fit/evaluate/predict (hook names and semantics of Keras 3)."""
from .backup import BackupAndRestore
from .callback import Callback
from .callback_list import CallbackList
from .checkpoint import ModelCheckpoint, atomic_save
from .history import History
from .logging_callbacks import CSVLogger, LambdaCallback, TerminateOnNaN
from .monitor import EarlyStopping, LearningRateScheduler, MonitorCallback, ReduceLROnPlateau
from .progbar import Logger, Progbar, ProgbarLogger
from .remote_monitor import RemoteMonitor
from .tensorboard import TensorBoard

RecordStats = CSVLogger  # TFKG's name

__all__ = ["BackupAndRestore", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History", "LambdaCallback",
           "LearningRateScheduler", "Logger", "ModelCheckpoint", "MonitorCallback", "Progbar", "ProgbarLogger",
           "RecordStats", "ReduceLROnPlateau", "RemoteMonitor", "TensorBoard", "TerminateOnNaN", "atomic_save"]
