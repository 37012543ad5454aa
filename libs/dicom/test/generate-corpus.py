#!/usr/bin/env python3
"""Writes a corpus of Part 10 files with pydicom, an implementation we did not write, for
libs/dicom/src/pydicom-cross-check.integration-spec.ts.

    python3 libs/dicom/test/generate-corpus.py <outdir>
    python3 libs/dicom/test/generate-corpus.py --dump <file.dcm>...   (only the .json / .frames.json of files)

Next to each <name>.dcm it writes what pydicom reads back from that file:
  <name>.json         {"meta": ..., "dataset": ...}: FileMetaDataset.to_json_dict / Dataset.to_json_dict, binary
                      values longer than BULK_THRESHOLD bytes as BulkDataURI "bulk:<tag>"
  <name>.frames.json  the SHA-256 of each frame of the pixel data as pydicom splits it (omitted when pydicom
                      cannot split it: bit-packed frames, no pixel data)

The files cover every VR, nested and empty sequences, empty values, multi-valued elements, native multi-frame
pixel data (also bit-packed), encapsulated pixel data with several fragments per frame with and without offset
tables, Implicit VR, Explicit VR Big Endian, Deflated Explicit VR Little Endian, pydicom's copies of the character
set examples of PS3.5 Annexes H, I, J and K, and a selection of pydicom's bundled test files. Nothing is
downloaded: only files shipped inside the pydicom package are copied.
"""
import hashlib
import json
import os
import shutil
import sys

import pydicom
import pydicom.data
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, encapsulate_extended, generate_frames
from pydicom.sequence import Sequence
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGBaseline8Bit,
    RLELossless,
)

# Must equal bulkDataThreshold in the spec. pydicom's threshold counts base64 characters: a value becomes
# bulk data when len(value) > (threshold // 4) * 3, so 64 gives 48 bytes.
BULK_THRESHOLD = 48
PYDICOM_THRESHOLD = BULK_THRESHOLD * 4 // 3

SC = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture Image Storage
MF_GRAY = "1.2.840.10008.5.1.4.1.1.7.3"  # Multi-frame Grayscale Word Secondary Capture Image Storage
ROOT = "2.25.1000000000000000000000000000000"

# pydicom's bundled test files that exercise other writers' quirks; read only when shipped with pydicom.
BUNDLED = [
    "CT_small.dcm",
    "MR_small.dcm",
    "MR_small_implicit.dcm",
    "MR_small_bigendian.dcm",
    "ExplVR_BigEnd.dcm",
    "image_dfl.dcm",
    "rtplan.dcm",
    "rtstruct.dcm",
    "rtdose.dcm",
    "waveform_ecg.dcm",
    "nested_priv_SQ.dcm",
    "priv_SQ.dcm",
    "UN_sequence.dcm",
    "reportsi.dcm",
    "test-SR.dcm",
    "SC_rgb_rle_2frame.dcm",
    "SC_rgb_small_odd.dcm",
    "examples_ybr_color.dcm",
    "examples_palette.dcm",
    "JPEG2000.dcm",
    "liver_1frame.dcm",
]


def uid(n):
    return f"{ROOT}{n}"


def identity(ds, n, sop_class=SC):
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = uid(n)
    ds.StudyInstanceUID = uid(900)
    ds.SeriesInstanceUID = uid(901)
    ds.Modality = "OT"


def item(**kw):
    d = Dataset()
    for k, v in kw.items():
        setattr(d, k, v)
    return d


def every_vr(n):
    """One or more elements of every VR of PS3.5 Table 6.2-1, empty values and nested sequences."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    identity(ds, n)
    ds.ImageType = ["ORIGINAL", "", "AXIAL"]  # CS with an empty value in the middle
    ds.RetrieveAETitle = ["AE_ONE", "AE_TWO"]  # AE
    ds.PatientAge = "045Y"  # AS
    ds.FrameIncrementPointer = [0x00181063, 0x00181065]  # AT, multi-valued
    ds.StudyDate = "20240131"  # DA
    ds.CalibrationDate = ["20240101", "20240202"]  # DA multi
    ds.AcquisitionDateTime = "20240131101112.123456+0100"  # DT
    ds.StudyTime = "101112.5"  # TM
    ds.EventElapsedTimes = ["0.5", "-1.25", "1e-3", "12345.6789"]  # DS multi
    ds.SliceThickness = "2.0"  # DS
    ds.TimeRange = [0.125, -3.5]  # FD
    ds.CalculatedTargetPosition = [1.5, -2.25, 0.1]  # FL (0.1 is not exact in 32 bits)
    ds.InstanceNumber = "7"  # IS
    ds.ReferencedFrameNumber = ["1", "2", "3"]  # IS multi
    ds.EventTimerNames = ["Timer A", "Timer B"]  # LO multi
    ds.ManufacturerModelName = "Modèle"  # LO, Latin-1
    ds.ExtendedCodeMeaning = "Line one\r\nLine two with a \\ backslash"  # LT keeps backslashes
    ds.PatientName = "Müller^Hans^^Dr"  # PN
    ds.ReferringPhysicianName = ""  # PN, empty
    ds.PhysiciansOfRecord = ["Smith^John", "Doe^Jane"]  # PN multi
    ds.ConsultingPhysicianName = ["Alpha^A", "", "Gamma^C"]  # PN multi with an empty value
    ds.AccessionNumber = ""  # SH, empty
    ds.PatientTelephoneNumbers = ["555-0100", "555-0101"]  # SH multi
    ds.RationalNumeratorValue = [-7, 2147483647, -2147483648]  # SL multi
    ds.VerticesOfThePolygonalExposureControlSensingRegion = [-1, 2, -32768, 32767]  # SS multi
    ds.InstitutionAddress = "1 Main Street\\Springfield"  # ST keeps backslashes
    ds.TimeOfLastCalibration = ["080000", "170000.25"]  # TM multi
    ds.OECFColumnNames = ["Column One", "Column Two"]  # UC multi
    ds.RelatedGeneralSOPClassUID = ["1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4"]  # UI multi
    ds.PrivateDataElementValueMultiplicity = [1, 4294967295]  # UL
    ds.NonidentifyingPrivateElements = [0, 1, 65535]  # US multi
    ds.PrivateDataElementDescription = "  leading spaces are kept in UT  "  # UT
    ds.RetrieveURL = "https://example.org/dicomweb/studies/1"  # UR
    ds.EncapsulatedDocumentLength = 0  # UL single
    ds.add_new(0x00181310, "US", [512, 0, 0, 512])  # AcquisitionMatrix, US VM 4
    # Binary VRs: short values stay InlineBinary, long ones become BulkDataURI.
    ds.add_new(0x00281201, "OW", bytes(range(16)))  # OW short
    ds.add_new(0x00281202, "OW", bytes(i % 256 for i in range(512)))  # OW long (bulk)
    ds.add_new(0x00281203, "OW", b"")  # OW empty
    ds.add_new(0x00282000, "OB", b"\x01\x02\x03")  # OB odd length, padded to 4 when written
    ds.add_new(0x00181638, "OF", b"".join(int(i).to_bytes(4, "little") for i in range(4)))  # OF
    ds.add_new(0x00660022, "OD", bytes(range(24)))  # OD short
    ds.add_new(0x00660040, "OL", bytes(range(200)))  # OL long (bulk)
    ds.add_new(0x00720081, "OV", bytes(range(16)))  # OV
    ds.add_new(0x0072006D, "UN", b"\x00\x01\x02\x03\xfe\xff")  # UN
    ds.add_new(0x00720082, "SV", [-5, 2**60, -(2**62)])  # SV: beyond 2^53
    ds.add_new(0x00720083, "UV", [7, 2**63 + 5])  # UV: beyond 2^53
    # Sequences: two items, a nested sequence three levels deep, an empty item, an empty sequence.
    deepest = item(CodeValue="C3", CodingSchemeDesignator="DCM", CodeMeaning="Three")
    middle = item(CodeValue="C2", CodingSchemeDesignator="DCM", CodeMeaning="Two")
    middle.add_new(0x00080100, "SH", "C2")
    middle.ConceptNameCodeSequence = Sequence([deepest])
    top = item(ReferencedSOPClassUID=SC, ReferencedSOPInstanceUID=uid(50))
    top.PurposeOfReferenceCodeSequence = Sequence([middle])
    top.add_new(0x00660041, "OL", bytes(range(100)))  # nested bulk value
    ds.ReferencedImageSequence = Sequence([top, Dataset(), item(ReferencedSOPClassUID=SC, ReferencedSOPInstanceUID=uid(51))])
    ds.ReferencedStudySequence = Sequence([])
    # A private block: creator, a private LO and a private sequence.
    block = ds.private_block(0x0029, "PACS TEST", create=True)
    block.add_new(0x10, "LO", "private value")
    block.add_new(0x11, "SQ", Sequence([item(PatientID="P1")]))
    return ds


def write(ds, path, transfer_syntax, sop_class=SC):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.get("SOPClassUID", sop_class)
    meta.MediaStorageSOPInstanceUID = ds.get("SOPInstanceUID", uid(0))
    meta.TransferSyntaxUID = transfer_syntax
    ds.file_meta = meta
    ds.save_as(path, enforce_file_format=True)


def image(ds, rows, columns, frames, bits=16, samples=1):
    ds.Rows = rows
    ds.Columns = columns
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = "MONOCHROME2" if samples == 1 else "RGB"
    if samples > 1:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = bits
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    ds.NumberOfFrames = str(frames)


def native_multiframe(n, frames=3):
    ds = Dataset()
    identity(ds, n, MF_GRAY)
    image(ds, 4, 5, frames)
    ds.FrameIncrementPointer = 0x00181063
    ds.add_new(0x00181063, "DS", "33.3")
    ds.PixelData = b"".join(bytes(((f * 40 + i) % 256, f)) for f in range(frames) for i in range(20))
    return ds


def bit_packed(n):
    """BitsAllocated 1: frames of 5 × 3 = 15 bits follow each other without padding (PS3.5 §8.1.1)."""
    ds = Dataset()
    identity(ds, n, "1.2.840.10008.5.1.4.1.1.7.1")  # Multi-frame Single Bit Secondary Capture
    image(ds, 3, 5, 4, bits=1)
    ds.PixelData = bytes([0b10110011, 0b01011100, 0b11100101, 0b00011110, 0b10101010, 0b01010101, 0b11001100, 0b00110011])
    return ds


def fake_jpeg(frame, size):
    body = bytes((frame * 31 + i) % 251 for i in range(size))
    return b"\xff\xd8\xff\xdb" + body + b"\xff\xd9"


def encapsulated(n, frames, fragments_per_frame, table):
    ds = Dataset()
    identity(ds, n, MF_GRAY if frames > 1 else SC)
    image(ds, 8, 8, frames, bits=8)
    ds.BitsStored = 8
    ds.LossyImageCompression = "01"
    data = [fake_jpeg(f, 40 + 10 * f) for f in range(frames)]
    if table == "extended":
        value, offsets, lengths = encapsulate_extended(data)
        ds.PixelData = value
        ds.ExtendedOffsetTable = offsets
        ds.ExtendedOffsetTableLengths = lengths
    else:
        ds.PixelData = encapsulate(data, fragments_per_frame=fragments_per_frame, has_bot=(table == "basic"))
    ds["PixelData"].VR = "OB"
    return ds


def rle(n):
    ds = Dataset()
    identity(ds, n, MF_GRAY)
    image(ds, 2, 2, 2, bits=8)
    frames = []
    for f in range(2):
        header = (1).to_bytes(4, "little") + (64).to_bytes(4, "little") + bytes(56)
        frames.append(header + bytes([3, f, f + 1, f + 2, f + 3, 0]))  # literal run of 4 bytes, padded
    ds.PixelData = encapsulate(frames, fragments_per_frame=1, has_bot=False)
    ds["PixelData"].VR = "OB"
    return ds


def waveform(n):
    ds = Dataset()
    identity(ds, n, "1.2.840.10008.5.1.4.1.1.9.1.1")  # 12-lead ECG
    channel = item(ChannelSampleSkew="0", WaveformBitsStored=16)
    wf = item(WaveformOriginality="ORIGINAL", NumberOfWaveformChannels=1, NumberOfWaveformSamples=64, SamplingFrequency="500")
    wf.WaveformBitsAllocated = 16
    wf.WaveformSampleInterpretation = "SS"
    wf.ChannelDefinitionSequence = Sequence([channel])
    wf.add_new(0x54001010, "OW", bytes(i % 256 for i in range(128)))  # WaveformData, nested bulk
    ds.WaveformSequence = Sequence([wf, wf.copy()])
    return ds


def dump(path, frames_sha=True):
    """Reads the file back with pydicom and writes what it makes of it."""
    ds = pydicom.dcmread(path)
    handler = lambda el: f"bulk:{el.tag:08X}"  # noqa: E731
    # Dataset.to_json_dict element by element, so that an element pydicom cannot convert is reported (in
    # "errors", by tag) rather than ending the corpus.
    dataset, errors = {}, {}
    for tag in ds.keys():
        key = f"{tag:08X}"
        try:
            dataset[key] = ds[tag].to_json_dict(bulk_data_element_handler=handler, bulk_data_threshold=PYDICOM_THRESHOLD)
        except Exception as exc:  # noqa: BLE001
            errors[key] = f"{type(exc).__name__}: {exc}"
    out = {
        "meta": ds.file_meta.to_json_dict(bulk_data_threshold=PYDICOM_THRESHOLD, bulk_data_element_handler=handler),
        "dataset": dataset,
        "errors": errors,
    }
    base = path[: -len(".dcm")]
    with open(base + ".json", "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1, sort_keys=True)
    if frames_sha and "PixelData" in ds and "Rows" in ds and ds.get("BitsAllocated", 8) % 8 == 0:
        ts = ds.file_meta.TransferSyntaxUID
        count = int(ds.get("NumberOfFrames", 1) or 1)
        if ts.is_encapsulated:
            frames = list(generate_frames(ds.PixelData, number_of_frames=count))
        else:
            samples = ds.get("SamplesPerPixel", 1)
            if ds.get("PhotometricInterpretation") == "YBR_FULL_422" and samples == 3:
                samples = 2
            size = ds.Rows * ds.Columns * samples * ds.BitsAllocated // 8
            frames = [ds.PixelData[k * size : (k + 1) * size] for k in range(count)]
        with open(base + ".frames.json", "w") as f:
            json.dump([hashlib.sha256(fr).hexdigest() for fr in frames], f, indent=1)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--dump":
        # Files written by another implementation: what pydicom reads from each, as above.
        for path in sys.argv[2:]:
            dump(path)
        return
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} <outdir> | --dump <file.dcm>...")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    made = []

    def save(name, ds, ts, frames_sha=True):
        path = os.path.join(out, name + ".dcm")
        write(ds, path, ts)
        dump(path, frames_sha)
        made.append(name)

    save("every-vr-explicit-le", every_vr(1), ExplicitVRLittleEndian)
    save("every-vr-implicit-le", every_vr(2), ImplicitVRLittleEndian)
    save("every-vr-explicit-be", every_vr(3), ExplicitVRBigEndian)
    save("every-vr-deflated", every_vr(4), DeflatedExplicitVRLittleEndian)
    save("native-multiframe", native_multiframe(10), ExplicitVRLittleEndian)
    save("native-multiframe-implicit", native_multiframe(11), ImplicitVRLittleEndian)
    save("native-multiframe-be", native_multiframe(12), ExplicitVRBigEndian)
    save("bit-packed-multiframe", bit_packed(13), ExplicitVRLittleEndian)
    save("encapsulated-bot", encapsulated(20, 3, 2, "basic"), JPEGBaseline8Bit)
    save("encapsulated-no-bot", encapsulated(21, 3, 3, "none"), JPEGBaseline8Bit)
    save("encapsulated-one-per-frame", encapsulated(22, 4, 1, "none"), JPEGBaseline8Bit)
    save("encapsulated-single-frame", encapsulated(23, 1, 3, "none"), JPEGBaseline8Bit)
    save("encapsulated-eot", encapsulated(24, 3, 1, "extended"), JPEGBaseline8Bit)
    save("rle-two-frames", rle(25), RLELossless)
    save("waveform", waveform(30), ExplicitVRLittleEndian)

    for src in sorted(pydicom.data.get_charset_files()):
        if not src.endswith(".dcm"):
            continue
        name = "charset-" + os.path.basename(src)[: -len(".dcm")]
        shutil.copyfile(src, os.path.join(out, name + ".dcm"))
        dump(os.path.join(out, name + ".dcm"))
        made.append(name)

    test_files = os.path.join(os.path.dirname(pydicom.data.__file__), "test_files")
    for base in BUNDLED:
        src = os.path.join(test_files, base)
        if not os.path.exists(src):
            continue
        with open(src, "rb") as f:
            if f.read(132)[128:] != b"DICM":  # not a Part 10 file: outside what the scanner reads
                continue
        name = "pydicom-" + base[: -len(".dcm")]
        shutil.copyfile(src, os.path.join(out, name + ".dcm"))
        dump(os.path.join(out, name + ".dcm"))
        made.append(name)

    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"pydicom": pydicom.__version__, "bulkDataThreshold": BULK_THRESHOLD, "files": made}, f, indent=1)
    print(f"{len(made)} files in {out}")


if __name__ == "__main__":
    main()
