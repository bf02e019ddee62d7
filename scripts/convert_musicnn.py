"""Convert the musicnn tagger checkpoints to NumPy ``.npz`` files the product loads.

A one-off developer step, never run by the product: it reads the TensorFlow checkpoints
that ship inside the ``musicnn`` wheel (Pons & Serra, ISC licence) without TensorFlow.

A TensorFlow 1.x checkpoint ("tensor bundle") is two files:

- ``.index``: a LevelDB-format table (SSTable) mapping each variable's name to a
  ``BundleEntryProto`` (dtype, shape, shard, offset, size, crc32c); the entry under the
  empty key is the ``BundleHeaderProto``;
- ``.data-00000-of-00001``: the tensors' raw little-endian bytes, back to back.

Both formats are small enough to read by hand: blocks of prefix-compressed key/value
entries with a restart array, found through a 48-byte footer and an index block; the
protobufs are decoded field by field (varints and length-delimited fields).

Only the model variables are kept (the Adam moments and the step counter are dropped),
as float32 under their TensorFlow names, plus ``__tags__`` (the tag names). Usage::

    pip download musicnn==0.1.0 --no-deps -d /tmp/musicnn
    python scripts/convert_musicnn.py /tmp/musicnn/musicnn-0.1.0-py3-none-any.whl

or with no argument, the script runs that ``pip download`` into a temporary folder.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import io
import json
import struct
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "bandmate" / "listen" / "models"
MODELS = ("MTT_musicnn", "MSD_musicnn")
VERSION = "0.1.0"
WHEEL_SHA256 = "f38a4890c648c1ddbb141c5d96d2b0a8cfcd36746002d896989f7b88beb65cfa"
TABLE_MAGIC = 0xDB4775248B80FB57
# tensorflow/core/framework/types.proto: DT_FLOAT = 1, DT_DOUBLE = 2, DT_INT32 = 3, DT_INT64 = 9
DTYPES: dict[int, np.dtype[Any]] = {
    1: np.dtype("<f4"),
    2: np.dtype("<f8"),
    3: np.dtype("<i4"),
    9: np.dtype("<i8"),
}


class FormatError(Exception):
    """The checkpoint is not what this reader understands."""


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise FormatError("varint runs past the end of the buffer")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise FormatError("varint longer than 10 bytes")


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """The (field number, value) pairs of a protobuf message (varint or bytes values)."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            length, pos = _varint(data, pos)
            out.append((number, data[pos : pos + length]))
            pos += length
        elif wire == 5:
            out.append((number, int.from_bytes(data[pos : pos + 4], "little")))
            pos += 4
        elif wire == 1:
            out.append((number, int.from_bytes(data[pos : pos + 8], "little")))
            pos += 8
        else:
            raise FormatError(f"protobuf wire type={wire} is not supported")
    return out


def _block_entries(block: bytes) -> list[tuple[bytes, bytes]]:
    """Key/value entries of one uncompressed SSTable block (keys prefix-compressed)."""
    restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    end = len(block) - 4 - 4 * restarts
    entries: list[tuple[bytes, bytes]] = []
    key = b""
    pos = 0
    while pos < end:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        size, pos = _varint(block, pos)
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        entries.append((key, block[pos : pos + size]))
        pos += size
    return entries


def _read_block(table: bytes, handle: bytes) -> bytes:
    offset, pos = _varint(handle, 0)
    size, _ = _varint(handle, pos)
    block = table[offset : offset + size]
    compression = table[offset + size]
    if compression != 0:
        raise FormatError(f"block compression={compression} (only 0, none, is supported)")
    return block


def read_index(index: bytes) -> dict[str, tuple[int, tuple[int, ...], int, int]]:
    """Parse a tensor-bundle ``.index``: name -> (dtype enum, shape, offset, size)."""
    if len(index) < 48 or struct.unpack_from("<Q", index, len(index) - 8)[0] != TABLE_MAGIC:
        raise FormatError("not a LevelDB table: bad magic number")
    footer = index[-48:]
    _, pos = _varint(footer, 0)
    _, pos = _varint(footer, pos)  # the metaindex handle (unused)
    index_handle = footer[pos:]
    entries: dict[str, tuple[int, tuple[int, ...], int, int]] = {}
    for _, handle in _block_entries(_read_block(index, index_handle)):
        for key, value in _block_entries(_read_block(index, handle)):
            if not key:
                continue  # the BundleHeaderProto
            dtype = 0
            shape: list[int] = []
            offset = size = shard = 0
            for number, field in _fields(value):
                if number == 1 and isinstance(field, int):
                    dtype = field
                elif number == 2 and isinstance(field, bytes):
                    for dim_number, dim in _fields(field):
                        if dim_number == 2 and isinstance(dim, bytes):
                            sizes = [v for n, v in _fields(dim) if n == 1 and isinstance(v, int)]
                            shape.append(sizes[0] if sizes else 0)
                elif number == 3 and isinstance(field, int):
                    shard = field
                elif number == 4 and isinstance(field, int):
                    offset = field
                elif number == 5 and isinstance(field, int):
                    size = field
                elif number == 7:
                    raise FormatError(f"{key!r} is a sliced tensor (not supported)")
            if shard != 0:
                raise FormatError(f"{key!r} lives in shard {shard}; only one shard is supported")
            entries[key.decode()] = (dtype, tuple(shape), offset, size)
    return entries


def read_checkpoint(index: bytes, data: bytes) -> dict[str, np.ndarray]:
    """Every tensor of a one-shard bundle, by variable name."""
    tensors: dict[str, np.ndarray] = {}
    for name, (dtype, shape, offset, size) in read_index(index).items():
        if dtype not in DTYPES:
            raise FormatError(f"{name}: dtype enum={dtype} is not supported")
        raw = data[offset : offset + size]
        array = np.frombuffer(raw, dtype=DTYPES[dtype])
        if array.size != int(np.prod(shape, dtype=np.int64)):
            raise FormatError(f"{name}: {array.size} values do not fill shape {shape}")
        tensors[name] = array.reshape(shape).copy()
    return tensors


def _labels(configuration: str, model: str) -> list[str]:
    """The tag list of ``MTT_*`` or ``MSD_*`` models, read from musicnn's configuration.py."""
    wanted = "MTT_LABELS" if model.startswith("MTT") else "MSD_LABELS"
    for node in ast.parse(configuration).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == wanted:
            labels = ast.literal_eval(node.value)
            return [str(label) for label in labels]
    raise FormatError(f"{wanted} not found in configuration.py")


def convert(wheel: Path, out: Path) -> list[Path]:
    """Write ``<model>.npz`` for every model in :data:`MODELS`; return the paths."""
    written: list[Path] = []
    with zipfile.ZipFile(wheel) as archive:
        configuration = archive.read("musicnn/configuration.py").decode()
        for model in MODELS:
            index = archive.read(f"musicnn/{model}/.index")
            data = archive.read(f"musicnn/{model}/.data-00000-of-00001")
            tensors = read_checkpoint(index, data)
            kept: dict[str, Any] = {
                name.removeprefix("model/"): value.astype(np.float32)
                for name, value in tensors.items()
                if not name.endswith(("/Adam", "/Adam_1"))
                and not name.startswith(("beta1_power", "beta2_power", "global_step"))
                and value.dtype.kind == "f"
            }
            labels = _labels(configuration, model)
            buffer = io.BytesIO()
            np.savez_compressed(buffer, __tags__=np.array(labels), **kept)
            target = out / f"{model}.npz"
            target.write_bytes(buffer.getvalue())
            count = sum(v.size for v in kept.values())
            print(f"{target}: {len(kept)} tensors, {count:,} parameters, {len(labels)} tags")
            written.append(target)
    return written


def reference(audio: list[Path], out: Path, *, models: tuple[str, ...] = MODELS) -> None:
    """Tag ``audio`` with the original musicnn (TensorFlow) and write the taggrams as JSON.

    Run with a Python that has ``musicnn``, TensorFlow and librosa (a scratch venv, see
    ``docs/models/musicnn.md``); the product's tests compare their scores to this file.
    """
    # Only the scratch venv has these.
    import tensorflow as tf  # type: ignore[import-untyped]
    from musicnn.extractor import extractor  # type: ignore[import-not-found]

    record: dict[str, object] = {
        "musicnn": VERSION,
        "tensorflow": tf.__version__,
        "librosa": metadata.version("librosa"),
        "numpy": np.__version__,
        "clips": [],
    }
    clips: list[dict[str, object]] = []
    for path in audio:
        clip: dict[str, object] = {
            "file": path.name,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        }
        for model in models:
            taggram, _ = extractor(str(path), model=model, input_length=3,
                                   extract_features=False)  # fmt: skip
            clip[model] = [[round(float(v), 7) for v in row] for row in taggram]
        clips.append(clip)
    record["clips"] = clips
    out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}: {len(clips)} clips")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", nargs="?", type=Path, help="musicnn wheel (else pip download)")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the .npz files")
    parser.add_argument("--list", action="store_true", help="print the checkpoint's variables")
    parser.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="instead: tag the AUDIO files with the original musicnn and write JSON here",
    )
    parser.add_argument("--audio", type=Path, nargs="*", default=[], help="files for --reference")
    args = parser.parse_args(argv)
    if args.reference is not None:
        reference(args.audio, args.reference)
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        wheel: Path | None = args.wheel
        if wheel is None:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", f"musicnn=={VERSION}", "--no-deps",
                 "-d", scratch],
                check=True,
            )  # fmt: skip
            wheel = next(Path(scratch).glob("musicnn-*.whl"))
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        print(f"{wheel.name} sha256 {digest}")
        if digest != WHEEL_SHA256:
            print(f"expected musicnn {VERSION}, sha256 {WHEEL_SHA256}", file=sys.stderr)
            return 1
        if args.list:
            with zipfile.ZipFile(wheel) as archive:
                index = archive.read(f"musicnn/{MODELS[0]}/.index")
            for name, (dtype, shape, _, _) in sorted(read_index(index).items()):
                print(f"{name:60s} dtype={dtype} shape={shape}")
            return 0
        args.out.mkdir(parents=True, exist_ok=True)
        convert(wheel, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
