"""Command-line tools that work on tfkg_graph artifacts without importing TensorFlow."""
