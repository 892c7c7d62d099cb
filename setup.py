"""tfkg-graph: Keras-style models as TensorFlow GraphDefs built in Python, run through the C API."""
from setuptools import find_packages, setup

setup(
    name="tfkg-graph",
    version="0.1.0",
    description="Build, train and ship TensorFlow graphs without TensorFlow's Python graph generation",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["tfkg_graph", "tfkg_graph.*"]),  # tools/ is repository-only
    package_data={"tfkg_graph.runtime.protos": ["*.proto"], "tfkg_graph.runtime": ["fastrun.c"]},
    install_requires=["numpy>=1.24", "protobuf>=4.21", "cffi>=1.15"],
    extras_require={
        # The C library comes from a TensorFlow wheel; or set TFKG_LIBTENSORFLOW to a standalone build.
        "cpu": ["tensorflow-cpu>=2.15"],
        "gpu": ["tensorflow[and-cuda]>=2.15"],
        "test": ["tensorflow-cpu>=2.15", "pytest>=7", "scikit-learn", "h5py", "tensorboard", "pyarrow",
                 "ruff>=0.5", "import-linter>=2.1"],  # lint and import contracts run in `make test`
    },
    entry_points={"console_scripts": ["tfkg-inspect=tfkg_graph.inspect.cli:main",
                                      "tfkg-convert=tfkg_graph.saving.convert:main"]},
)
