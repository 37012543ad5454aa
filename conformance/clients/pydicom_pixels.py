"""Decodes the pixel data of Part 10 files with pydicom (and its pylibjpeg / pyjpegls / openjpeg handlers),
a decoder we did not write, so transcoded instances are checked by more than our own decoder.

usage: pydicom_pixels.py FILE...
Prints one JSON object: {file: {"sha256": hex of the pixels as little-endian samples, frames x rows x
columns x samples, interleaved} or {"error": text}}.
"""
import hashlib
import json
import sys
import warnings

import numpy as np
import pydicom
from pydicom.encaps import generate_frames

# PS3.5 §A.4.11: Encapsulated Uncompressed Explicit VR Little Endian holds native frames, one per fragment.
# pydicom 3.0 has no handler for it, so its frames are taken from pydicom's encapsulation parser as they are.
ENCAPSULATED_UNCOMPRESSED = "1.2.840.10008.1.2.1.98"

warnings.simplefilter("ignore")
out = {}
for path in sys.argv[1:]:
    try:
        ds = pydicom.dcmread(path)
        frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
        if ds.file_meta.TransferSyntaxUID == ENCAPSULATED_UNCOMPRESSED:
            kind = "i" if ds.PixelRepresentation == 1 else "u"
            dtype = np.dtype(f"<{kind}{ds.BitsAllocated // 8}")
            size = ds.Rows * ds.Columns * ds.SamplesPerPixel * dtype.itemsize  # without the pad byte
            arr = np.concatenate(
                [np.frombuffer(f[:size], dtype=dtype) for f in generate_frames(ds.PixelData, number_of_frames=frames)]
            )
        else:
            arr = ds.pixel_array
        arr = np.ascontiguousarray(arr.reshape(frames, ds.Rows, ds.Columns, ds.SamplesPerPixel))
        arr = arr.astype(arr.dtype.newbyteorder("<"))
        out[path] = {"sha256": hashlib.sha256(arr.tobytes()).hexdigest()}
    except Exception as error:  # reported per file; the test says which
        out[path] = {"error": f"{type(error).__name__}: {error}"}
print(json.dumps(out))
