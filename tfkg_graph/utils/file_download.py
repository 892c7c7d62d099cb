"""``keras.utils.get_file``: a file from a URL, cached under ``~/.keras/<cache_subdir>`` and checked
against a hash; ``file://`` URLs work without a network. Without one, an ``http(s)`` origin fails with
a message that says so (Keras' "URL fetch failure" wording)."""
from __future__ import annotations

import hashlib
import os
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile


def _hasher(algorithm: str, file_hash: str | None) -> "hashlib._Hash":
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None and len(file_hash) == 64):
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath: str, algorithm: str = "sha256", chunk_size: int = 65535) -> str:
    hasher = hashlib.sha256() if algorithm in ("sha256", "auto") else hashlib.md5()
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath: str, file_hash: str, algorithm: str = "auto") -> bool:
    hasher = _hasher(algorithm, file_hash)
    return hash_file(fpath, "sha256" if hasher.name == "sha256" else "md5") == str(file_hash)


def _extract(archive: str, target: str, archive_format: str) -> bool:
    """Extracts a tar or zip archive, refusing members that would land outside ``target``."""
    formats = ["tar", "zip"] if archive_format == "auto" else [archive_format]
    root = os.path.realpath(target)
    for kind in formats:
        if kind == "tar" and tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tar:
                tar.extractall(target, filter="data")
            return True
        if kind == "zip" and zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as z:
                for name in z.namelist():
                    if not os.path.realpath(os.path.join(target, name)).startswith(root + os.sep):
                        raise ValueError(f"zip member {name!r} would be extracted outside {target!r}")
                z.extractall(target)
            return True
    return False


def get_file(fname: str | None = None, origin: str | None = None, untar: bool = False, md5_hash: str | None = None,
             file_hash: str | None = None, cache_subdir: str = "datasets", hash_algorithm: str = "auto",
             extract: bool = False, archive_format: str = "auto", cache_dir: str | None = None,
             force_download: bool = False) -> str:
    """The local path of ``origin`` (downloaded once into the cache, or the extraction folder)."""
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    cache_dir = cache_dir or os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    file_hash = file_hash or md5_hash
    if md5_hash is not None and hash_algorithm == "auto":
        hash_algorithm = "md5"
    datadir = os.path.join(os.path.expanduser(cache_dir), cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    provided = fname
    fname = os.fspath(fname) if fname else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'. "
                         "Please specify the `fname` argument.")
    if os.sep in fname:
        raise ValueError("Paths are no longer accepted as the `fname` argument. To specify the file's parent "
                         f"directory, use the `cache_dir` argument. Received: fname={fname}")
    extraction_dir = None
    target = os.path.join(datadir, fname)
    if extract or untar:
        if provided and "." in fname:
            extraction_dir = os.path.join(datadir, f"{fname[:fname.find('.')]}_extracted")
        else:
            extraction_dir, target = os.path.join(datadir, fname), os.path.join(datadir, f"{fname}_archive")
    download = force_download or not os.path.exists(target) or (
        file_hash is not None and not validate_file(target, file_hash, hash_algorithm))
    if download:
        try:
            urllib.request.urlretrieve(origin, target)
        except urllib.error.HTTPError as e:
            _remove(target)
            raise Exception(f"URL fetch failure on {origin}: {e.code} -- {e.msg}") from None
        except (urllib.error.URLError, OSError) as e:
            _remove(target)
            reason = getattr(e, "reason", e)
            raise Exception(f"URL fetch failure on {origin}: None -- {reason} (is the network reachable? a "
                            "file already in the cache is used without one)") from None
        if file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
            raise ValueError(f"Incomplete or corrupted file detected. The {hash_algorithm} file hash does not "
                             f"match the provided value of {file_hash}.")
    if extraction_dir is not None:
        if not _extract(target, extraction_dir, "tar" if untar else archive_format):
            raise ValueError(f"could not extract {target!r} as {archive_format!r}")
        return extraction_dir
    return target


def _remove(path: str) -> None:
    if os.path.exists(path):
        os.remove(path)


__all__ = ["get_file", "hash_file", "validate_file"]
