#!/usr/bin/env python3
"""Writes the pixel reference corpus that libs/imaging is checked against.

Usage: generate-pixel-corpus.py OUTDIR

Every case is a Part 10 file made with pydicom (and, where pydicom has no encoder, a codestream made by
imagecodecs: libjpeg-turbo for JPEG baseline/extended/lossless, OpenJPH for HTJ2K) plus the frames that
pydicom decodes from that file, as raw little-endian arrays. For lossless cases the generator also asserts
that pydicom's decode equals the synthetic image it started from, so the expected arrays are checked twice.

OUTDIR/manifest.json lists the cases:
  cases[]:    name, file, transferSyntax, lossy, tolerance, frames, rows, columns, samplesPerPixel, dtype,
              expected (raw file, frames x rows x columns x samples, interleaved), decodedPhotometric
              (the colour space pydicom returns, which is what decodeFrame must return), dataset (the
              DICOM JSON of the data set without Pixel Data, from pydicom's to_json_dict)
  windows[]:  case, center, width, function, yMin, yMax, output (float64 raw file of pydicom's
              apply_voi_lut(apply_modality_lut(frame 0)))
  voiLuts[]:  case, output (float64 raw of pydicom's apply_voi_lut with the VOI LUT Sequence), bits
  palettes[]: case, output (uint8/uint16 raw of pydicom's apply_color_lut on frame 0), dtype
"""
import json
import os
import sys
import warnings

import imagecodecs
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.pixels import (
    apply_color_lut,
    apply_modality_lut,
    apply_voi_lut,
    convert_color_space,
    pack_bits,
    pixel_array,
)
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    HTJ2K,
    HTJ2KLossless,
    HTJ2KLosslessRPCL,
    ImplicitVRLittleEndian,
    JPEG2000,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLosslessSV1,
    JPEGLossless,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
    generate_uid,
)

warnings.simplefilter("ignore")
OUT = sys.argv[1] if len(sys.argv) > 1 else "pixel-corpus"
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20240611)
manifest = {"pydicom": pydicom.__version__, "imagecodecs": imagecodecs.__version__, "cases": [], "windows": [], "voiLuts": [], "palettes": []}


# ---------------------------------------------------------------- synthetic images
def smooth(frames, rows, cols, lo, hi, spp=1):
    """Gradients, a ring and noise between lo and hi: compressible but not trivial."""
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float64)
    out = np.empty((frames, rows, cols, spp), dtype=np.float64)
    for f in range(frames):
        for s in range(spp):
            base = (x / max(cols - 1, 1)) * 0.5 + (y / max(rows - 1, 1)) * 0.3
            ring = 0.2 * np.sin(np.hypot(x - cols / 2, y - rows / 2) / (2.5 + s + f))
            noise = rng.normal(0, 0.03, (rows, cols))
            out[f, :, :, s] = base + ring + noise
    out = (out - out.min()) / (out.max() - out.min())
    out = np.round(lo + out * (hi - lo))
    # make sure the extremes occur (they exercise sign handling and masking)
    out.flat[0] = lo
    out.flat[-1] = hi
    return out


def as_dtype(arr, bits_alloc, signed):
    kind = {8: "int8", 16: "int16", 32: "int32"}[bits_alloc] if signed else {1: "uint8", 8: "uint8", 16: "uint16", 32: "uint32"}[bits_alloc]
    return arr.astype(kind)


# ---------------------------------------------------------------- data sets
def dataset(ts, rows, cols, spp, pi, bits_alloc, bits_stored, signed, frames, planar=0, extra=None):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(ts)
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "OT"
    ds.Rows = rows
    ds.Columns = cols
    ds.SamplesPerPixel = spp
    ds.PhotometricInterpretation = pi
    if spp > 1:
        ds.PlanarConfiguration = planar
    ds.BitsAllocated = bits_alloc
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.NumberOfFrames = frames
    for key, value in (extra or {}).items():
        setattr(ds, key, value)
    return ds


def json_of(ds):
    """DICOM JSON of the data set without Pixel Data; binary values inline (PS3.18 F.2.7)."""
    copy = Dataset()
    for elem in ds:
        if elem.keyword != "PixelData":
            copy.add(elem)
    return copy.to_json_dict(bulk_data_threshold=1 << 30)


def write_raw(name, arr):
    path = os.path.join(OUT, name)
    arr = np.ascontiguousarray(arr)
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    arr.tofile(path)
    return name


def decode_with_pydicom(path, **options):
    ds = pydicom.dcmread(path)
    arr = pixel_array(ds, **options)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    spp = int(ds.SamplesPerPixel)
    return arr.reshape(frames, int(ds.Rows), int(ds.Columns), spp)


def add_case(name, ds, ts, lossy, truth=None, tolerance=0, decoded_pi=None, as_rgb=False, note=""):
    path = os.path.join(OUT, name + ".dcm")
    ds.save_as(path, enforce_file_format=True)
    got = decode_with_pydicom(path, as_rgb=as_rgb)
    got = got.astype(got.dtype.newbyteorder("<"))  # big endian data sets decode to big endian arrays
    if truth is not None and not lossy:
        truth = truth.reshape(got.shape)
        if not np.array_equal(got.astype(np.int64), truth.astype(np.int64)):
            raise SystemExit(f"{name}: pydicom's decode differs from the source image")
    if truth is not None and lossy:
        err = np.abs(got.astype(np.int64) - truth.reshape(got.shape).astype(np.int64))
        note = (note + f" max error vs source {int(err.max())}, mean {float(err.mean()):.3f}").strip()
    manifest["cases"].append(
        {
            "name": name,
            "file": name + ".dcm",
            "transferSyntax": str(ts),
            "lossy": lossy,
            "tolerance": tolerance,
            "frames": int(got.shape[0]),
            "rows": int(got.shape[1]),
            "columns": int(got.shape[2]),
            "samplesPerPixel": int(got.shape[3]),
            "dtype": str(got.dtype),
            "expected": write_raw(name + ".expected.raw", got),
            "decodedPhotometric": decoded_pi or str(ds.PhotometricInterpretation),
            "dataset": json_of(pydicom.dcmread(path)),
            "note": note,
        }
    )
    return path


# ---------------------------------------------------------------- images of the corpus
R, C, F = 35, 40, 2  # odd rows, even columns (YBR_FULL_422 needs even), two frames; J2K needs >= 32
images = {
    # key: (array frames x rows x cols x spp, pi, bits allocated, bits stored, signed)
    "mono2_u8": (smooth(F, R, C, 0, 255), "MONOCHROME2", 8, 8, False),
    "mono1_u8": (smooth(1, R, C, 3, 250), "MONOCHROME1", 8, 8, False),
    "mono2_u12": (smooth(F, R, C, 0, 4095), "MONOCHROME2", 16, 12, False),
    "mono2_s12": (smooth(F, R, C, -2048, 2047), "MONOCHROME2", 16, 12, True),
    "mono2_u16": (smooth(1, R, C, 0, 65535), "MONOCHROME2", 16, 16, False),
    "mono2_s16": (smooth(F, R, C, -32768, 32767), "MONOCHROME2", 16, 16, True),
    "rgb_u8": (smooth(F, R, C, 0, 255, spp=3), "RGB", 8, 8, False),
}


def image(key):
    arr, pi, ba, bs, signed = images[key]
    return as_dtype(arr, ba, signed), pi, ba, bs, signed


def ds_for(key, ts, pi=None, planar=0, extra=None):
    arr, ipi, ba, bs, signed = image(key)
    return dataset(ts, arr.shape[1], arr.shape[2], arr.shape[3], pi or ipi, ba, bs, signed, arr.shape[0], planar, extra)


def native_bytes(arr, bits_alloc, big_endian=False, planar=0, garbage_bits=0):
    """Native Pixel Data of all frames; garbage_bits sets random values above Bits Stored (PS3.5 8.1.1)."""
    a = arr
    if planar == 1:
        a = np.ascontiguousarray(np.moveaxis(a, 3, 1))  # frames x samples x rows x cols
    if garbage_bits:
        raw = a.astype(np.int64) & ((1 << garbage_bits) - 1)
        high = rng.integers(0, 1 << (bits_alloc - garbage_bits), raw.shape) << garbage_bits
        a = (raw | high).astype({16: np.uint16, 8: np.uint8}[bits_alloc])
    a = a.astype(a.dtype.newbyteorder(">" if big_endian else "<")) if bits_alloc > 8 else a
    return a.tobytes()


NATIVE = [ImplicitVRLittleEndian, ExplicitVRLittleEndian, ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian]
TS_TAG = {
    ImplicitVRLittleEndian: "ile",
    ExplicitVRLittleEndian: "ele",
    ExplicitVRBigEndian: "ebe",
    DeflatedExplicitVRLittleEndian: "deflated",
}

# ---- native: every image in every native syntax
for key in images:
    arr, pi, ba, bs, signed = image(key)
    for ts in NATIVE:
        ds = ds_for(key, ts)
        ds.PixelData = native_bytes(arr, ba, big_endian=(ts == ExplicitVRBigEndian))
        if ba > 8:
            ds["PixelData"].VR = "OW"
        add_case(f"{key}_{TS_TAG[ts]}", ds, ts, False, truth=arr)

# ---- native with garbage above Bits Stored (PS3.5 8.1.1: those bits are not pixel data)
for key in ("mono2_u12", "mono2_s12"):
    arr, pi, ba, bs, signed = image(key)
    for ts in (ExplicitVRLittleEndian, ExplicitVRBigEndian):
        ds = ds_for(key, ts)
        ds.PixelData = native_bytes(arr, ba, big_endian=(ts == ExplicitVRBigEndian), garbage_bits=bs)
        ds["PixelData"].VR = "OW"
        add_case(f"{key}_garbage_{TS_TAG[ts]}", ds, ts, False, truth=arr)

# ---- planar configuration 1
rgb, _, _, _, _ = image("rgb_u8")
ds = ds_for("rgb_u8", ExplicitVRLittleEndian, planar=1)
ds.PixelData = native_bytes(rgb, 8, planar=1)
add_case("rgb_u8_planar1_ele", ds, ExplicitVRLittleEndian, False, truth=rgb)

# ---- YBR_FULL native (both planar configurations) and YBR_FULL_422 native (subsampled layout)
ybr = convert_color_space(rgb.reshape(-1, C, 3), "RGB", "YBR_FULL").reshape(rgb.shape)
for planar in (0, 1):
    ds = ds_for("rgb_u8", ExplicitVRLittleEndian, pi="YBR_FULL", planar=planar)
    ds.PixelData = native_bytes(ybr, 8, planar=planar)
    add_case(f"ybr_full_planar{planar}_ele", ds, ExplicitVRLittleEndian, False, truth=ybr)
ybr422 = ybr.copy()
ybr422[:, :, 1::2, 1:] = ybr422[:, :, 0::2, 1:]  # one Cb/Cr per pair of pixels
pairs = ybr422.reshape(F, R, C // 2, 2, 3)
packed = np.stack([pairs[..., 0, 0], pairs[..., 1, 0], pairs[..., 0, 1], pairs[..., 0, 2]], axis=-1)  # Y1 Y2 Cb Cr
ds = ds_for("rgb_u8", ExplicitVRLittleEndian, pi="YBR_FULL_422")
ds.PixelData = packed.astype(np.uint8).tobytes()
add_case("ybr_full_422_ele", ds, ExplicitVRLittleEndian, False, truth=ybr422, decoded_pi="YBR_FULL")

# ---- 1 bit: frames of 35 x 37 = 1295 bits do not start on byte boundaries
bits = rng.integers(0, 2, (3, R, 37, 1)).astype(np.uint8)
ds = dataset(ExplicitVRLittleEndian, R, 37, 1, "MONOCHROME2", 1, 1, False, 3)
ds.PixelData = pack_bits(bits.ravel())
add_case("mono2_1bit_ele", ds, ExplicitVRLittleEndian, False, truth=bits)

# ---- 32 bit unsigned
u32 = smooth(1, R, C, 0, 2**32 - 1).astype(np.uint32)
ds = dataset(ExplicitVRLittleEndian, R, C, 1, "MONOCHROME2", 32, 32, False, 1)
ds.PixelData = u32.astype("<u4").tobytes()
ds["PixelData"].VR = "OW"
add_case("mono2_u32_ele", ds, ExplicitVRLittleEndian, False, truth=u32)

# ---- palette colour (8-bit indices, 16-bit entries; and segmented 16-bit entries)
idx = smooth(1, R, C, 0, 255).astype(np.uint8)
ramp = np.arange(256, dtype=np.float64)
lut_r = np.round(65535 * (ramp / 255) ** 0.5).astype("<u2")
lut_g = np.round(65535 * (1 - ramp / 255)).astype("<u2")
lut_b = np.round(65535 * np.abs(np.sin(ramp / 40))).astype("<u2")
ds = dataset(ExplicitVRLittleEndian, R, C, 1, "PALETTE COLOR", 8, 8, False, 1)
ds.RedPaletteColorLookupTableDescriptor = [256, 0, 16]
ds.GreenPaletteColorLookupTableDescriptor = [256, 0, 16]
ds.BluePaletteColorLookupTableDescriptor = [256, 0, 16]
ds.RedPaletteColorLookupTableData = lut_r.tobytes()
ds.GreenPaletteColorLookupTableData = lut_g.tobytes()
ds.BluePaletteColorLookupTableData = lut_b.tobytes()
ds.PixelData = idx.tobytes()
path = add_case("palette_u8_ele", ds, ExplicitVRLittleEndian, False, truth=idx)
ds = pydicom.dcmread(path)
manifest["palettes"].append({"case": "palette_u8_ele", "dtype": "uint16", "output": write_raw("palette_u8_ele.rgb.raw", apply_color_lut(ds.pixel_array, ds))})
# segmented (PS3.3 C.7.9.2): discrete, linear and indirect segments; first mapped value 10
# red: discrete (1 entry), linear (245 entries up to 65535), discrete (10 entries)
seg_r = np.array([0, 1, 0, 1, 245, 65535, 0, 10] + [1000 * i for i in range(10)], dtype="<u2")
# green: discrete (1), linear (249 down to 0), indirect (copy 1 segment from offset 0), discrete (5)
seg_g = np.array([0, 1, 65535, 1, 249, 0, 2, 1, 0, 0, 0, 5, 7, 77, 777, 7777, 17777], dtype="<u2")
# (linear lengths avoid interpolated values that end in exactly .5, where rounding conventions differ)
seg_b = np.array([0, 256] + list(range(0, 65536, 256)), dtype="<u2")
ds = dataset(ExplicitVRLittleEndian, R, C, 1, "PALETTE COLOR", 8, 8, False, 1)
for colour, seg in (("Red", seg_r), ("Green", seg_g), ("Blue", seg_b)):
    setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [256, 10, 16])
    setattr(ds, f"Segmented{colour}PaletteColorLookupTableData", seg.tobytes())
ds.PixelData = idx.tobytes()
path = add_case("palette_segmented_ele", ds, ExplicitVRLittleEndian, False, truth=idx)
ds = pydicom.dcmread(path)
manifest["palettes"].append({"case": "palette_segmented_ele", "dtype": "uint16", "output": write_raw("palette_segmented_ele.rgb.raw", apply_color_lut(ds.pixel_array, ds))})

# ---------------------------------------------------------------- encapsulated syntaxes
def compressed(key, ts, name, lossy=False, tolerance=0, pi=None, **kwargs):
    arr, ipi, ba, bs, signed = image(key)
    ds = ds_for(key, ExplicitVRLittleEndian)
    ds.PixelData = native_bytes(arr, ba)
    if ba > 8:
        ds["PixelData"].VR = "OW"
    if lossy:
        ds.LossyImageCompression = "01"
    try:
        ds.compress(ts, **kwargs)
    except Exception as error:
        raise SystemExit(f"{name}: {error}")
    add_case(name, ds, ts, lossy, truth=arr, tolerance=tolerance, decoded_pi=pi)


def encapsulated(key, ts, name, frames_bytes, lossy=False, tolerance=0, pi=None, decoded_pi=None, as_rgb=False, extra=None, truth=None):
    arr, ipi, ba, bs, signed = image(key)
    ds = ds_for(key, ts, pi=pi, extra=extra)
    ds.PixelData = encapsulate(frames_bytes)
    ds["PixelData"].VR = "OB"
    if lossy:
        ds.LossyImageCompression = "01"
    add_case(name, ds, ts, lossy, truth=arr if truth is None else truth, tolerance=tolerance, decoded_pi=decoded_pi, as_rgb=as_rgb)


def unsigned_pattern(frame, bs):
    """JPEG and JPEG-LS code two's complement samples as their Bits Stored bit pattern (PS3.5 8.2.1, 8.2.3)."""
    return (frame.astype(np.int64) & ((1 << bs) - 1)).astype(np.uint16 if bs > 8 else np.uint8)


# RLE Lossless (pydicom's own encoder)
for key in images:
    compressed(key, RLELossless, f"{key}_rle")
ds = ds_for("rgb_u8", ExplicitVRLittleEndian, pi="YBR_FULL")
ds.PixelData = native_bytes(ybr, 8)
ds.compress(RLELossless)
add_case("ybr_full_rle", ds, RLELossless, False, truth=ybr)

# JPEG-LS lossless and near-lossless (pydicom + pyjpegls / CharLS)
for key in ("mono2_u8", "mono2_u12", "mono2_s12", "mono2_u16", "mono2_s16", "rgb_u8"):
    compressed(key, JPEGLSLossless, f"{key}_jls")
for key in ("mono2_u8", "mono2_u12", "mono2_s16"):
    compressed(key, JPEGLSNearLossless, f"{key}_jls_near2", lossy=True, tolerance=0, jls_error=2)

# JPEG 2000 lossless (RGB: YBR_RCT) and lossy (RGB: YBR_ICT), pydicom + OpenJPEG
for key in ("mono2_u8", "mono2_u12", "mono2_s12", "mono2_u16", "mono2_s16", "rgb_u8"):
    compressed(key, JPEG2000Lossless, f"{key}_j2k", pi="RGB" if key == "rgb_u8" else None)
for key in ("mono2_u12", "mono2_s16", "rgb_u8"):
    compressed(key, JPEG2000, f"{key}_j2k_lossy", lossy=True, tolerance=1, pi="RGB" if key == "rgb_u8" else None, j2k_cr=[8])

# HTJ2K (OpenJPH through imagecodecs): lossless, lossless RPCL with TLM and tile-parts per resolution, lossy
for key in ("mono2_u8", "mono2_u12", "mono2_s12", "mono2_u16", "mono2_s16", "rgb_u8"):
    arr, ipi, ba, bs, signed = image(key)
    is_rgb = key == "rgb_u8"
    pi = "YBR_RCT" if is_rgb else None
    frames = [imagecodecs.htj2k_encode(f if is_rgb else f[..., 0], reversible=True) for f in arr]
    encapsulated(key, HTJ2KLossless, f"{key}_htj2k", frames, pi=pi, decoded_pi="RGB" if is_rgb else None)
    frames = [imagecodecs.htj2k_encode(f if is_rgb else f[..., 0], reversible=True, tlm=True, tilepart=True) for f in arr]
    encapsulated(key, HTJ2KLosslessRPCL, f"{key}_htj2k_rpcl", frames, pi=pi, decoded_pi="RGB" if is_rgb else None)
# YBR_FULL coded without the colour transform (three independent components)
frames = [imagecodecs.htj2k_encode(f, reversible=True, rgb=False) for f in ybr.astype(np.uint8)]
encapsulated("rgb_u8", HTJ2KLossless, "ybr_full_htj2k", frames, pi="YBR_FULL", truth=ybr)
manifest["cases"][-1]["note"] = "no multi-component transform"
for key in ("mono2_u12", "mono2_s16", "rgb_u8"):
    arr, ipi, ba, bs, signed = image(key)
    is_rgb = key == "rgb_u8"
    frames = [imagecodecs.htj2k_encode(f if is_rgb else f[..., 0], level=0.2 if ba > 8 else 0.5, reversible=False) for f in arr]
    encapsulated(key, HTJ2K, f"{key}_htj2k_lossy", frames, lossy=True, tolerance=1, pi="YBR_ICT" if is_rgb else None, decoded_pi="RGB" if is_rgb else None)

# JPEG Baseline (libjpeg-turbo through imagecodecs): grey; colour as YBR_FULL_422 (4:2:2) and YBR_FULL (4:4:4)
arr, *_ = image("mono2_u8")
encapsulated("mono2_u8", JPEGBaseline8Bit, "mono2_u8_jpeg_baseline", [imagecodecs.jpeg8_encode(f[..., 0], level=90) for f in arr], lossy=True, tolerance=1)
arr, *_ = image("mono1_u8")
encapsulated("mono1_u8", JPEGBaseline8Bit, "mono1_u8_jpeg_baseline", [imagecodecs.jpeg8_encode(f[..., 0], level=90) for f in arr], lossy=True, tolerance=1)
for sub, pi in (("422", "YBR_FULL_422"), ("444", "YBR_FULL")):
    frames = [imagecodecs.jpeg8_encode(f, level=90, subsampling=sub) for f in rgb]
    # libjpeg-turbo (ours) and libjpeg 9 (pylibjpeg-libjpeg, pydicom's decoder here) differ in IDCT, chroma
    # upsampling and YCbCr → RGB rounding: up to 3 levels measured, 4 allowed
    encapsulated("rgb_u8", JPEGBaseline8Bit, f"rgb_u8_jpeg_baseline_{sub}", frames, lossy=True, tolerance=4, pi=pi, decoded_pi="RGB", as_rgb=True)

# JPEG Extended, process 4 (12-bit DCT, libjpeg-turbo through imagecodecs)
arr, *_ = image("mono2_u12")
frames = [imagecodecs.jpeg8_encode(f[..., 0], level=90, bitspersample=12) for f in arr]
encapsulated("mono2_u12", JPEGExtended12Bit, "mono2_u12_jpeg_extended", frames, lossy=True, tolerance=1)

# JPEG Lossless process 14: SV1 for every image; every other predictor (2-7) on 12-bit grey
for key in ("mono2_u8", "mono2_u12", "mono2_s12", "mono2_u16", "mono2_s16", "rgb_u8"):
    arr, ipi, ba, bs, signed = image(key)
    if key == "rgb_u8":
        frames = [imagecodecs.jpeg8_encode(f, lossless=True, predictor=1, colorspace="RGB", outcolorspace="RGB") for f in arr]
    else:
        frames = [imagecodecs.jpeg8_encode(unsigned_pattern(f[..., 0], bs), lossless=True, predictor=1, bitspersample=bs) for f in arr]
    encapsulated(key, JPEGLosslessSV1, f"{key}_jpeg_sv1", frames)
arr, ipi, ba, bs, signed = image("mono2_u12")
for predictor in range(2, 8):
    frames = [imagecodecs.jpeg8_encode(f[..., 0], lossless=True, predictor=predictor, bitspersample=bs) for f in arr]
    encapsulated("mono2_u12", JPEGLossless, f"mono2_u12_jpeg_p14_sv{predictor}", frames)

# ---------------------------------------------------------------- window / VOI LUT references
ct = smooth(1, 64, 64, -1024, 3071).astype(np.int16)
ds = dataset(ExplicitVRLittleEndian, 64, 64, 1, "MONOCHROME2", 16, 16, True, 1, extra={"RescaleSlope": 1, "RescaleIntercept": -1024, "RescaleType": "HU"})
ds.Modality = "CT"
ds.WindowCenter = [40, -600]
ds.WindowWidth = [400, 1500]
ds.WindowCenterWidthExplanation = ["SOFT TISSUE", "LUNG"]
ds.PixelData = (ct.astype(np.int32) + 1024).astype("<i2").tobytes()
ds["PixelData"].VR = "OW"
path = add_case("ct_s16_windowed_ele", ds, ExplicitVRLittleEndian, False, truth=(ct.astype(np.int32) + 1024).astype(np.int16))
for center, width in ((40.0, 400.0), (-600.0, 1500.0), (0.0, 1.0), (100.5, 2.0), (2000.0, 9000.0)):
    for function in ("LINEAR", "LINEAR_EXACT", "SIGMOID"):
        d = pydicom.dcmread(path)
        d.WindowCenter = center
        d.WindowWidth = width
        d.VOILUTFunction = function
        frame = d.pixel_array
        modality = apply_modality_lut(frame, d)
        out = apply_voi_lut(modality, d, index=0)
        slope, intercept = float(d.RescaleSlope), float(d.RescaleIntercept)
        y_min, y_max = -(2**15) * slope + intercept, (2**15 - 1) * slope + intercept
        name = f"ct_window_{center}_{width}_{function}".replace("-", "m")
        manifest["windows"].append({"case": "ct_s16_windowed_ele", "center": center, "width": width, "function": function, "yMin": y_min, "yMax": y_max, "output": write_raw(name + ".raw", np.asarray(out, dtype="<f8"))})

# VOI LUT Sequence (12-bit unsigned image, 12-bit LUT entries, first mapped 100)
arr, *_ = image("mono2_u12")
voi = np.round(4095 * (np.linspace(0, 1, 3000) ** 0.7)).astype("<u2")
item = Dataset()
item.LUTDescriptor = [3000, 100, 12]
item.LUTExplanation = "GAMMA 0.7"
item.LUTData = voi.tolist()
ds = ds_for("mono2_u12", ExplicitVRLittleEndian)
ds.VOILUTSequence = [item]
ds.VOILUTSequence[0]["LUTData"].VR = "US"  # LUT Data as a list of US values (its other form, OW, is used below)
ds.PixelData = native_bytes(arr, 16)
ds["PixelData"].VR = "OW"
path = add_case("mono2_u12_voilut_ele", ds, ExplicitVRLittleEndian, False, truth=arr)
d = pydicom.dcmread(path)
out = apply_voi_lut(d.pixel_array[0], d, prefer_lut=True)
manifest["voiLuts"].append({"case": "mono2_u12_voilut_ele", "bits": 12, "output": write_raw("mono2_u12_voilut.raw", np.asarray(out, dtype="<f8"))})

# Modality LUT Sequence (8-bit stored, 16-bit LUT, first mapped 0) with a window on its output
arr, *_ = image("mono2_u8")
mlut = np.round(60000 * (np.arange(256) / 255) ** 2).astype("<u2")
item = Dataset()
item.LUTDescriptor = [256, 0, 16]
item.ModalityLUTType = "US"
item.LUTData = mlut.tobytes()
ds = ds_for("mono2_u8", ExplicitVRLittleEndian)
ds.ModalityLUTSequence = [item]
ds["ModalityLUTSequence"].value[0]["LUTData"].VR = "OW"
ds.WindowCenter = 20000
ds.WindowWidth = 30000
ds.PixelData = native_bytes(arr, 8)
path = add_case("mono2_u8_modalitylut_ele", ds, ExplicitVRLittleEndian, False, truth=arr)
d = pydicom.dcmread(path)
modality = apply_modality_lut(d.pixel_array[0], d)
out = apply_voi_lut(modality, d, index=0)
manifest["windows"].append({"case": "mono2_u8_modalitylut_ele", "center": 20000.0, "width": 30000.0, "function": "LINEAR", "yMin": 0, "yMax": 65535, "modalityLut": True, "output": write_raw("mono2_u8_modalitylut.raw", np.asarray(out, dtype="<f8"))})

with open(os.path.join(OUT, "manifest.json"), "w") as fh:
    json.dump(manifest, fh, indent=1)
print(f"{len(manifest['cases'])} cases, {len(manifest['windows'])} windows, {len(manifest['voiLuts'])} VOI LUTs, {len(manifest['palettes'])} palettes in {OUT}")
