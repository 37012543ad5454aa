"""Drives a DICOMweb server with dicomweb-client (PyPI), an implementation we did not write.

usage: python_dicomweb_client.py BASE_URL PATIENT_ID FILE...
Stores the files, then searches and retrieves them, and prints a JSON report the test asserts on.
"""
import hashlib
import io
import json
import sys

import pydicom
from dicomweb_client.api import DICOMwebClient

base, patient_id, files = sys.argv[1], sys.argv[2], sys.argv[3:]
client = DICOMwebClient(url=base)
datasets = [pydicom.dcmread(f) for f in files]
report = {}

stored = client.store_instances(datasets=datasets)
report["stored"] = [item.ReferencedSOPInstanceUID for item in stored.get("ReferencedSOPSequence", [])]
report["failed"] = len(stored.get("FailedSOPSequence", []))

studies = client.search_for_studies(search_filters={"PatientID": patient_id}, fields=["StudyDescription"])
report["studies"] = [
    {
        "uid": s["0020000D"]["Value"][0],
        "instances": s["00201208"]["Value"][0],
        "description": s.get("00081030", {}).get("Value", [None])[0],
    }
    for s in studies
]
study = datasets[0].StudyInstanceUID
series = datasets[0].SeriesInstanceUID
report["series"] = [s["0020000E"]["Value"][0] for s in client.search_for_series(study_instance_uid=study)]
report["instances"] = sorted(
    i["00080018"]["Value"][0]
    for i in client.search_for_instances(study_instance_uid=study, series_instance_uid=series)
)

# Bit-exact retrieve: the file as stored, in its own transfer syntax.
retrieved = {}
for ds, path in zip(datasets, files):
    instance = client.retrieve_instance(
        study, series, ds.SOPInstanceUID, media_types=(("application/dicom", "*"),)
    )
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, instance, enforce_file_format=True)
    retrieved[ds.SOPInstanceUID] = {
        "pixelsEqual": instance.PixelData == ds.PixelData,
        "patientName": str(instance.PatientName),
    }
report["retrieved"] = retrieved

metadata = client.retrieve_series_metadata(study, series)
report["metadataCount"] = len(metadata)
report["metadataPixelDataBulk"] = all("BulkDataURI" in m.get("7FE00010", {}) for m in metadata)

frames = client.retrieve_instance_frames(
    study, series, datasets[0].SOPInstanceUID, frame_numbers=[1],
    media_types=(("application/octet-stream", "*"),),
)
report["frameEqual"] = frames[0] == datasets[0].PixelData
report["frameSha256"] = hashlib.sha256(frames[0]).hexdigest()
print(json.dumps(report))
