"""Text in and out: JSON <-> model for every dialect, positions in the text, shipped data.

Owns: loading and dumping profiles (OCI, moby, containers/common), finding the line and column of
a JSON path (:mod:`._positions`), and the JSON Schemas and ready profiles shipped with the package
(:mod:`.resources`). May import: ``model``, ``errors``, ``syscalls``.
"""

from __future__ import annotations

from seccomp_kit.io._dialects import (
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    ProfileSource,
    as_profile,
    convert,
    detect_dialect,
    dump,
    dumps,
    from_data,
    load,
    loads,
    parse_json,
    read_path_bytes,
    read_source,
    to_data,
    unicode_text,
)
from seccomp_kit.io._dialects import (
    PathLike as PathLike,
)
from seccomp_kit.io._dialects import (
    decode_text as decode_text,
)

# Public names outside __all__ stay importable from here, as from the former module.
__all__ = [
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "ProfileSource",
    "as_profile",
    "convert",
    "detect_dialect",
    "dump",
    "dumps",
    "from_data",
    "load",
    "loads",
    "parse_json",
    "read_path_bytes",
    "read_source",
    "to_data",
    "unicode_text",
]
