#!/usr/bin/env python3
"""Decodes frames that libs/imaging encoded, with pydicom, so our encoders are checked by a decoder we did
not write.

Usage: decode-with-pydicom.py DIR

DIR/jobs.json lists jobs: name, transferSyntax, rows, columns, samplesPerPixel, photometricInterpretation,
bitsAllocated, bitsStored, pixelRepresentation, asRgb, frames (file names in DIR, one per frame: native bytes
or a codestream). For each job this writes DIR/<name>.pydicom.raw (frames x rows x columns x samples, little
endian) and DIR/results.json: {name: {"dtype": ..., "error": ...}}.
"""
import json
import os
import sys
import warnings

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.pixels import pixel_array
from pydicom.uid import UID

warnings.simplefilter("ignore")
DIR = sys.argv[1]
NATIVE = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.2"}

results = {}
for job in json.load(open(os.path.join(DIR, "jobs.json"))):
    name = job["name"]
    try:
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = UID(job["transferSyntax"])
        ds.Rows = job["rows"]
        ds.Columns = job["columns"]
        ds.SamplesPerPixel = job["samplesPerPixel"]
        ds.PhotometricInterpretation = job["photometricInterpretation"]
        if job["samplesPerPixel"] > 1:
            ds.PlanarConfiguration = 0
        ds.BitsAllocated = job["bitsAllocated"]
        ds.BitsStored = job["bitsStored"]
        ds.HighBit = job["bitsStored"] - 1
        ds.PixelRepresentation = job["pixelRepresentation"]
        ds.NumberOfFrames = len(job["frames"])
        frames = [open(os.path.join(DIR, f), "rb").read() for f in job["frames"]]
        if job["transferSyntax"] in NATIVE:
            ds.PixelData = b"".join(frames)
            ds["PixelData"].VR = "OW" if job["bitsAllocated"] > 8 else "OB"
        else:
            ds.PixelData = encapsulate(frames)
            ds["PixelData"].VR = "OB"
        arr = pixel_array(ds, as_rgb=job.get("asRgb", False))
        arr = arr.reshape(len(frames), job["rows"], job["columns"], job["samplesPerPixel"])
        arr = arr.astype(arr.dtype.newbyteorder("<"))
        arr.tofile(os.path.join(DIR, name + ".pydicom.raw"))
        results[name] = {"dtype": str(arr.dtype)}
    except Exception as error:  # reported per job, the test shows which
        results[name] = {"error": f"{type(error).__name__}: {error}"}

json.dump(results, open(os.path.join(DIR, "results.json"), "w"), indent=1)
