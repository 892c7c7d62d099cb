"""TensorBoard event files without TensorFlow: TFRecord framing, Event protos, scalar and graph summaries."""
from .._io import crc32c, masked_crc32c
from .writer import EventFileWriter, SummaryWriter, read_records, record_bytes

__all__ = ["EventFileWriter", "SummaryWriter", "crc32c", "masked_crc32c", "read_records", "record_bytes"]
